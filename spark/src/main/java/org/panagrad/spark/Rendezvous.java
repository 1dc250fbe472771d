package org.panagrad.spark;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the tasks of a barrier stage tell each other their addresses: the driver listens on an ephemeral port
 * for the stage's duration; each task connects, sends its rank and its string, and gets every task's string in
 * task order once all have arrived. This is {@code BarrierTaskContext.allGather} without its cost: Spark 4.2's
 * {@code runBarrier} checks its RPC's completion once a second ({@code Thread.sleep(1000)} between checks), so the
 * gather cost every stage about a second whatever the tasks did (task 0 measured 1.08 s from its start to its
 * first step, 2026-12-05); here it costs a round trip to the driver. The driver closes it when the stage ends,
 * successfully or not, and a task still waiting then fails naming the rendezvous.
 */
final class Rendezvous implements AutoCloseable {
    /** How long a task waits to connect, and for a connected task to name itself to the driver. */
    private static final int CONNECT_MILLIS = 30_000;
    /** How long a task waits for the others: they may first read their partitions. */
    private static final int WAIT_MILLIS = 30 * 60_000;

    private final ServerSocket server;
    private final String address;
    private final int tasks;
    private final List<Socket> accepted = new ArrayList<>();
    private final Thread thread;

    private Rendezvous(ServerSocket server, String address, int tasks) {
        this.server = server;
        this.address = address;
        this.tasks = tasks;
        this.thread = new Thread(this::serve, "panagrad-rendezvous-" + server.getLocalPort());
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Listens on {@code bindHost} (the driver's bind address) for one gathering of {@code tasks} tasks, which
     * reach it at {@code advertisedHost} (the driver's host as executors see it).
     */
    static Rendezvous open(String bindHost, String advertisedHost, int tasks) throws IOException {
        ServerSocket server = new ServerSocket();
        try {
            server.bind(new InetSocketAddress(InetAddress.getByName(bindHost), 0), tasks);
        } catch (IOException e) {
            server.close();
            throw new IOException("cannot listen for the barrier tasks on the driver's address " + bindHost + ": " + e.getMessage(), e);
        }
        return new Rendezvous(server, advertisedHost + ":" + server.getLocalPort(), tasks);
    }

    /** host:port, for the tasks. */
    String address() {
        return address;
    }

    /** Accepts every task, then answers each with all the strings; any failure closes every connection. */
    private void serve() {
        Socket[] byRank = new Socket[tasks];
        String[] strings = new String[tasks];
        try {
            for (int arrived = 0; arrived < tasks; ) {
                Socket s = server.accept();
                synchronized (accepted) {
                    accepted.add(s);
                }
                s.setSoTimeout(CONNECT_MILLIS);
                DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
                int rank = in.readInt();
                String mine = in.readUTF();
                if (rank < 0 || rank >= tasks || byRank[rank] != null) {
                    s.close(); // that task fails on the closed connection, and with it the stage
                    continue;
                }
                byRank[rank] = s;
                strings[rank] = mine;
                arrived++;
            }
            for (Socket s : byRank) {
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
                out.writeInt(tasks);
                for (String x : strings) out.writeUTF(x);
                out.flush();
            }
        } catch (IOException closedOrBroken) {
            // close() ended the wait, or a task went away: the tasks see their connections close
        } finally {
            closeAccepted();
        }
    }

    /** Task {@code rank}'s side: sends its string and returns every task's, in task order. */
    static String[] gather(String address, int rank, String mine) {
        try (Socket s = Addresses.connect(address, CONNECT_MILLIS, "the driver's rendezvous")) {
            s.setSoTimeout(WAIT_MILLIS);
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
            out.writeInt(rank);
            out.writeUTF(mine);
            out.flush();
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            String[] all = new String[in.readInt()];
            for (int i = 0; i < all.length; i++) all[i] = in.readUTF();
            return all;
        } catch (SocketTimeoutException late) {
            throw new UncheckedIOException(new IOException("the other tasks did not reach the driver's rendezvous at " + address
                    + " within " + WAIT_MILLIS / 60_000 + " minutes", late));
        } catch (EOFException | java.net.SocketException closed) {
            throw new UncheckedIOException(new IOException("the driver's rendezvous at " + address
                    + " closed before every task had arrived (the stage ended or failed)", closed));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void closeAccepted() {
        synchronized (accepted) {
            for (Socket s : accepted) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
            accepted.clear();
        }
    }

    /** Stops listening and closes every task's connection; waits for the serving thread. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        closeAccepted();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
