package org.panagrad.spark;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.function.Consumer;

/**
 * Where task 0 of a barrier stage sends the training state at each epoch end inside the stage, so that the
 * driver can save a checkpoint, print the epoch's loss and restart a failed stage from there while the stage
 * still runs: a stage over many epochs starts once and still loses at most an epoch. The driver listens on an
 * ephemeral port for the stage's duration; task 0 connects once and writes one {@link Report} per epoch end; the
 * driver hands each to its consumer on the listening thread, in order. After the stage, {@link #finish} waits
 * until every report is handled and rethrows what the consumer threw (a checkpoint that could not be written).
 * Only this package's report, float and double arrays and the optimizer's state are accepted from the socket.
 */
final class EpochReports implements AutoCloseable {
    /** How long task 0 waits to connect; how long the driver waits for the last reports after the stage. */
    private static final int CONNECT_MILLIS = 30_000, FINISH_MILLIS = 60_000;
    private static final ObjectInputFilter ACCEPTED = ObjectInputFilter.Config.createFilter(
            "org.panagrad.spark.EpochReports$Report;org.panagrad.spark.FlatUpdate;org.panagrad.spark.FlatUpdate$Kind;java.lang.Enum;[F;[D;!*");

    /**
     * The state after {@code epochsDone} epochs, as a stage split at that epoch boundary would return it, and
     * the mean losses of that epoch's steps.
     */
    record Report(int epochsDone, float[] parameters, float[] buffers, FlatUpdate update, double[] losses) implements Serializable {
    }

    private final ServerSocket server;
    private final String address;
    private final Consumer<Report> consumer;
    private final Thread thread;
    private volatile Socket connection;
    /** What the consumer threw (it ends the reports, hence the stage), and what broke the reading. */
    private volatile Throwable consumerFailure, readFailure;

    private EpochReports(ServerSocket server, String address, Consumer<Report> consumer) {
        this.server = server;
        this.address = address;
        this.consumer = consumer;
        this.thread = new Thread(this::serve, "panagrad-epoch-reports-" + server.getLocalPort());
        thread.setDaemon(true);
        thread.start();
    }

    /** Listens on {@code bindHost} (the driver's bind address); task 0 reaches it at {@code advertisedHost}. */
    static EpochReports open(String bindHost, String advertisedHost, Consumer<Report> consumer) throws IOException {
        ServerSocket server = new ServerSocket();
        try {
            server.bind(new InetSocketAddress(InetAddress.getByName(bindHost), 0), 1);
        } catch (IOException e) {
            server.close();
            throw new IOException("cannot listen for the stage's epoch reports on the driver's address " + bindHost + ": "
                    + e.getMessage(), e);
        }
        return new EpochReports(server, advertisedHost + ":" + server.getLocalPort(), consumer);
    }

    /** host:port, for task 0. */
    String address() {
        return address;
    }

    private void serve() {
        try (Socket s = server.accept()) {
            connection = s;
            ObjectInputStream in = new ObjectInputStream(new BufferedInputStream(s.getInputStream()));
            in.setObjectInputFilter(ACCEPTED);
            while (true) {
                Report r;
                try {
                    r = (Report) in.readObject();
                } catch (EOFException end) {
                    return; // task 0 closed: the stage's reports are all in
                }
                try {
                    consumer.accept(r);
                } catch (RuntimeException | Error e) {
                    consumerFailure = e; // closing the connection makes task 0, hence the stage, fail at its next report
                    return;
                }
            }
        } catch (IOException | ClassNotFoundException e) {
            if (!server.isClosed()) readFailure = e; // else close() ended the wait (the stage failed, and says why itself)
        }
    }

    /**
     * After a failed stage: the consumer's failure, if it caused the stage's, is the one to report (it is set
     * before the connection closes, hence before task 0 fails).
     */
    void rethrowConsumerFailure() {
        Throwable f = consumerFailure;
        if (f instanceof RuntimeException r) throw r;
        if (f instanceof Error e) throw e;
    }

    /**
     * After the stage returned: waits until task 0's reports are all handled and rethrows the consumer's
     * failure, if any.
     */
    void finish() {
        try {
            thread.join(FINISH_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            throw new IllegalStateException("the epoch reports at " + address + " did not end within " + FINISH_MILLIS / 1000
                    + " s of the stage's end");
        }
        rethrowConsumerFailure();
        Throwable f = readFailure;
        if (f != null) throw new IllegalStateException("an epoch report from task 0 could not be read: " + f.getMessage(), f);
    }

    /** Stops listening and drops the connection; waits for the listening thread. */
    @Override
    public void close() {
        try {
            server.close();
            Socket s = connection;
            if (s != null) s.close();
        } catch (IOException ignored) {
            // closing
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Task 0's side: one connection to the driver for the stage, one report per epoch end. */
    static final class Sender implements AutoCloseable {
        private final Socket socket;
        private final ObjectOutputStream out;
        private final String address;

        Sender(String address) throws IOException {
            this.address = address;
            int colon = address.lastIndexOf(':');
            socket = new Socket();
            try {
                socket.connect(new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))),
                        CONNECT_MILLIS);
                out = new ObjectOutputStream(new BufferedOutputStream(socket.getOutputStream()));
            } catch (IOException e) {
                socket.close();
                throw new IOException("cannot reach the driver's epoch reports at " + address + ": " + e.getMessage(), e);
            }
        }

        void send(Report r) {
            try {
                out.writeObject(r);
                out.reset(); // each report stands alone: no back references into the earlier ones
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(new IOException("the driver's epoch reports at " + address + " went away: "
                        + e.getMessage(), e));
            }
        }

        @Override
        public void close() throws IOException {
            try {
                out.close();
            } finally {
                socket.close();
            }
        }
    }
}
