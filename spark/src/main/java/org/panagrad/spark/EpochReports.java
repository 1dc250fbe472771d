package org.panagrad.spark;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.util.function.Consumer;

/**
 * Where task 0 of a barrier stage sends the training state at each epoch end inside the stage, so that the
 * driver can save a checkpoint, print the epoch's loss and restart a failed stage from there while the stage
 * still runs: a stage over many epochs starts once and still loses at most an epoch. The driver listens on an
 * ephemeral port for the stage's duration; task 0 connects once, names the stage by its random token (another
 * connection is dropped), and writes one {@link Report} per epoch end; the driver hands each to its consumer on the
 * listening thread, in order, and acknowledges it after the consumer returns, so that task 0 goes on only once the
 * driver holds (and has saved) that epoch. After the stage, {@link #finish} waits until every report is handled;
 * a consumer's failure (an {@code Error} too, named with its epoch), or a report the driver could not read, fails
 * the run (it is not the stage's to retry).
 * Only this package's report, float and double arrays and the update's state are accepted from the socket.
 */
final class EpochReports implements AutoCloseable {
    /** How long task 0 waits to connect and the driver for its token; how long task 0 waits for an acknowledgement. */
    private static final int CONNECT_MILLIS = 30_000, ACK_MILLIS = 30 * 60_000;
    private static final ObjectInputFilter ACCEPTED = ObjectInputFilter.Config.createFilter("maxdepth=4;maxrefs=32;maxarray=1073741823;"
            + "org.panagrad.spark.EpochReports$Report;org.panagrad.spark.FlatUpdate;org.panagrad.spark.FlatUpdate$Kind;java.lang.Enum;[F;[D;!*");

    /**
     * The state after {@code epochsDone} epochs, as a stage split at that epoch boundary would return it, and
     * the mean losses of that epoch's steps.
     */
    record Report(int epochsDone, float[] parameters, float[] buffers, FlatUpdate update, double[] losses) implements Serializable {
    }

    /** What task 0 needs to reach this stage's reports: the driver's host:port and the stage's token. */
    record Ticket(String address, long token) implements Serializable {
    }

    private final ServerSocket server;
    private final Ticket ticket;
    private final Consumer<Report> consumer;
    private final Thread thread;
    private Socket connection; // guarded by this
    /** What the consumer threw, and what broke the reading of a report: either ends the run. */
    private volatile RuntimeException consumerFailure;
    private volatile Exception readFailure;

    private EpochReports(ServerSocket server, String advertisedHost, Consumer<Report> consumer) {
        this.server = server;
        this.ticket = new Ticket(advertisedHost + ":" + server.getLocalPort(), new SecureRandom().nextLong());
        this.consumer = consumer;
        this.thread = new Thread(this::serve, "panagrad-epoch-reports-" + server.getLocalPort());
        thread.setDaemon(true);
        thread.start();
    }

    /** Listens on {@code bindHost} (the driver's bind address); task 0 reaches it at {@code advertisedHost}. */
    static EpochReports open(String bindHost, String advertisedHost, Consumer<Report> consumer) throws IOException {
        ServerSocket server = new ServerSocket();
        try {
            server.bind(new InetSocketAddress(InetAddress.getByName(bindHost), 0), 4);
        } catch (IOException e) {
            server.close();
            throw new IOException("cannot listen for the stage's epoch reports on the driver's address " + bindHost + ": "
                    + e.getMessage(), e);
        }
        return new EpochReports(server, advertisedHost, consumer);
    }

    Ticket ticket() {
        return ticket;
    }

    private void serve() {
        try (Socket s = taskZero()) {
            if (s == null) return; // closed before task 0 came
            ObjectInputStream in = new ObjectInputStream(new BufferedInputStream(s.getInputStream()));
            in.setObjectInputFilter(ACCEPTED);
            OutputStream ack = s.getOutputStream();
            while (true) {
                Report r;
                try {
                    r = (Report) in.readObject();
                } catch (EOFException end) {
                    return; // task 0 closed: the stage's reports are all in
                }
                try {
                    consumer.accept(r);
                } catch (RuntimeException e) {
                    consumerFailure = e; // no acknowledgement: task 0, hence the stage, fails at once
                    return;
                } catch (Error e) { // an OutOfMemoryError while saving, say: the run's failure too, not a lost stage to retry
                    consumerFailure = new IllegalStateException("the driver failed while handling epoch " + r.epochsDone()
                            + "'s report: " + e, e);
                    return;
                }
                ack.write(1);
                ack.flush();
            }
        } catch (IOException | ClassNotFoundException | RuntimeException e) {
            if (!server.isClosed()) readFailure = e; // else close() ended the wait (the stage failed, and says why itself)
        }
    }

    /** Accepts connections until one names this stage's token; null once closed. */
    private Socket taskZero() throws IOException {
        while (true) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException closed) {
                if (server.isClosed()) return null;
                throw closed;
            }
            synchronized (this) {
                if (server.isClosed()) {
                    s.close();
                    return null;
                }
                connection = s;
            }
            try {
                s.setSoTimeout(CONNECT_MILLIS);
                if (new DataInputStream(s.getInputStream()).readLong() == ticket.token()) {
                    s.setSoTimeout(0); // epochs can take any time
                    return s;
                }
            } catch (IOException strayConnection) {
                // not task 0: drop it and wait for task 0
            }
            s.close();
        }
    }

    /**
     * After the stage returned: waits until every report is handled, then fails the run if the consumer failed
     * or a report could not be read.
     */
    void finish() {
        join();
        rethrowDriverFailure();
    }

    /**
     * After a failed stage (close() first: it stops the reading): if the driver's side failed (the consumer threw,
     * or a report could not be read), that failure caused the stage's and is the one to report.
     */
    void rethrowDriverFailure() {
        RuntimeException c = consumerFailure;
        if (c != null) throw c;
        Exception r = readFailure;
        if (r != null) throw new IllegalStateException("an epoch report from task 0 at " + ticket.address() + " could not be read: "
                + r.getMessage(), r);
    }

    private void join() {
        try {
            thread.join(); // a consumer that saves a large model may take its time; close() unblocks a read
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops listening and drops the connection; waits for the consumer to return. */
    @Override
    public void close() {
        synchronized (this) {
            try {
                server.close();
                if (connection != null) connection.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        join();
    }

    /** Task 0's side: one connection to the driver for the stage, one acknowledged report per epoch end. */
    static final class Sender implements AutoCloseable {
        private final Socket socket;
        private final ObjectOutputStream out;
        private final InputStream acks;
        private final String address;

        Sender(Ticket ticket) throws IOException {
            this.address = ticket.address();
            socket = Addresses.connect(address, CONNECT_MILLIS, "the driver's epoch reports");
            try {
                DataOutputStream token = new DataOutputStream(socket.getOutputStream());
                token.writeLong(ticket.token());
                token.flush();
                out = new ObjectOutputStream(new BufferedOutputStream(socket.getOutputStream()));
                acks = socket.getInputStream();
                socket.setSoTimeout(ACK_MILLIS);
            } catch (IOException e) {
                socket.close();
                throw e;
            }
        }

        /** Sends the report and returns once the driver has handled it. */
        void send(Report r) {
            try {
                out.writeObject(r);
                out.reset(); // each report stands alone: no back references into the earlier ones
                out.flush();
                if (acks.read() != 1) throw new IOException("the driver closed the connection before acknowledging epoch " + r.epochsDone());
            } catch (SocketTimeoutException late) {
                throw new UncheckedIOException(new IOException("the driver's epoch reports at " + address + " did not acknowledge epoch "
                        + r.epochsDone() + " within " + ACK_MILLIS / 60_000 + " minutes", late));
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
