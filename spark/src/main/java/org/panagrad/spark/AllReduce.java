package org.panagrad.spark;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * A sum over the tasks of a barrier stage, each step, over direct TCP connections between the tasks: every task
 * sends its partial (loss sum, count, a float vector) to every other and adds all of them in task order in
 * double, so every task ends the step with the same bits, with no job and no trip through the driver.
 * The connections are set up once: each task listens on an ephemeral port of its executor's host, the driver's
 * {@link Rendezvous} tells every task the others' addresses, and task i connects to the tasks before it and
 * accepts the ones after it. One selector moves every peer's frames both ways at once, so no send waits on a receive.
 * A task that fails sends its message to the others instead of its partial, and they rethrow it: whichever
 * task Spark reports, the job fails with the first failure's message. (For a few tasks, all-to-all sends
 * (N - 1) vectors per task and step, as a ring would send 2 (N - 1) / N; at N = 2 to 8 and 1.6 MB vectors on
 * loopback or a LAN, simplicity wins.)
 */
final class AllReduce implements AutoCloseable {
    /** Frame: count (long; negative: a failure whose message follows), loss sum (double), vector floats. */
    private static final int HEADER = 16;

    private final int rank, tasks, n;
    private final SocketChannel[] peers;
    private final ByteBuffer mine;
    private final ByteBuffer[] outgoing, incoming;
    /** Float views of the frames' vectors, for bulk copies. */
    private final FloatBuffer myVector;
    private final FloatBuffer[] vectors;
    private final float[] scratch;
    private final Selector selector;
    private final double[] acc;
    private double lossSum;
    private long count;

    /**
     * Connects task {@code rank} of {@code tasks} to the others.
     *
     * @param host      the address the others reach this task at (its executor's host)
     * @param gather    every task's string, in task order ({@link Rendezvous#gather})
     */
    static AllReduce connect(int rank, int tasks, int n, String host, Function<String, String[]> gather) throws IOException {
        SocketChannel[] peers = new SocketChannel[tasks];
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(host, 0), tasks);
            String[] addresses = gather.apply(host + ":" + server.socket().getLocalPort());
            if (addresses.length != tasks) {
                throw new IllegalStateException("the barrier gathered " + addresses.length + " addresses for " + tasks + " tasks");
            }
            ByteBuffer id = ByteBuffer.allocate(4);
            for (int j = 0; j < rank; j++) {
                SocketChannel c = SocketChannel.open(Addresses.parse(addresses[j]));
                peers[j] = c;
                id.clear();
                id.putInt(rank).flip();
                while (id.hasRemaining()) c.write(id);
            }
            for (int k = rank + 1; k < tasks; k++) {
                SocketChannel c = server.accept();
                id.clear();
                while (id.hasRemaining()) if (c.read(id) < 0) throw new IOException("a task closed its connection before naming itself");
                int j = id.flip().getInt();
                if (j <= rank || j >= tasks || peers[j] != null) {
                    c.close();
                    throw new IOException("task " + rank + " accepted a connection from unexpected task " + j);
                }
                peers[j] = c;
            }
            return new AllReduce(rank, tasks, n, peers);
        } catch (IOException | RuntimeException e) {
            for (SocketChannel c : peers) if (c != null) c.close();
            throw e;
        }
    }

    private AllReduce(int rank, int tasks, int n, SocketChannel[] peers) throws IOException {
        this.rank = rank;
        this.tasks = tasks;
        this.n = n;
        this.peers = peers;
        this.mine = ByteBuffer.allocateDirect(HEADER + 4 * n).order(ByteOrder.LITTLE_ENDIAN);
        this.outgoing = new ByteBuffer[tasks];
        this.incoming = new ByteBuffer[tasks];
        this.acc = new double[n];
        this.scratch = new float[n];
        this.vectors = new FloatBuffer[tasks];
        this.myVector = vectorOf(mine);
        this.selector = Selector.open();
        for (int j = 0; j < tasks; j++) {
            if (j == rank) continue;
            SocketChannel c = peers[j];
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            c.setOption(StandardSocketOptions.SO_SNDBUF, 4 << 20);
            c.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
            c.configureBlocking(false);
            outgoing[j] = mine.duplicate();
            incoming[j] = ByteBuffer.allocateDirect(HEADER + 4 * n).order(ByteOrder.LITTLE_ENDIAN);
            vectors[j] = vectorOf(incoming[j]);
            c.register(selector, 0, j);
        }
    }

    /**
     * Sums every task's partial, in task order: afterwards {@link #lossSum()} and {@link #count()} are the sums
     * and {@code out} is the vectors' sum (in double, rounded to float), the same on every task.
     *
     * @throws ShardException with a failed task's message, when one failed instead of sending its partial
     */
    void sum(double myLossSum, long myCount, float[] vector, float[] out) throws IOException {
        mine.putLong(0, myCount).putDouble(8, myLossSum);
        myVector.put(0, vector, 0, n);
        exchange();
        java.util.Arrays.fill(acc, 0);
        lossSum = 0;
        count = 0;
        for (int j = 0; j < tasks; j++) {
            if (j == rank) {
                lossSum += myLossSum;
                count += myCount;
                for (int i = 0; i < n; i++) acc[i] += vector[i];
                continue;
            }
            ByteBuffer in = incoming[j];
            long c = in.getLong(0);
            count += c;
            lossSum += in.getDouble(8);
            vectors[j].get(0, scratch, 0, n);
            for (int i = 0; i < n; i++) acc[i] += scratch[i];
        }
        for (int i = 0; i < n; i++) out[i] = (float) acc[i];
    }

    /** The frame's floats after its header, as a little-endian view. */
    private static FloatBuffer vectorOf(ByteBuffer frame) {
        return frame.duplicate().position(HEADER).slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    }

    double lossSum() {
        return lossSum;
    }

    long count() {
        return count;
    }

    /**
     * Tells the other tasks that this one failed, with its message (cut to the frame's size), so that they stop
     * with it; best effort: a peer that is gone is skipped.
     */
    void fail(String message) {
        byte[] text = String.valueOf(message).getBytes(StandardCharsets.UTF_8);
        int length = Math.min(text.length, 4 * n);
        mine.clear();
        mine.putLong(-1).putDouble(length).put(text, 0, length);
        mine.flip();
        try {
            exchangeOutgoingOnly();
        } catch (IOException ignored) {
            // the peers that could not be told learn of the failure from Spark killing the stage
        }
    }

    private void exchange() throws IOException {
        // A peer that closes mid-step is remembered, not thrown at once: the task whose failure made it close has
        // sent its message to every task, and that message (read from its own connection) is what to report.
        IOException closed = null;
        int pending = 0;
        for (SelectionKey key : selector.keys()) {
            int j = (Integer) key.attachment();
            outgoing[j].clear();
            incoming[j].clear();
            key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            pending += 2;
        }
        while (pending > 0) {
            selector.select();
            if (Thread.currentThread().isInterrupted()) throw new IOException("task " + rank + " was interrupted mid-step");
            for (var it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                SelectionKey key = it.next();
                it.remove();
                int j = (Integer) key.attachment();
                SocketChannel c = (SocketChannel) key.channel();
                if (key.isValid() && key.isWritable()) {
                    try {
                        c.write(outgoing[j]);
                    } catch (IOException e) { // the peer is gone: as for a closed read below
                        if (closed == null) closed = closedMidStep(j, e);
                        pending -= drop(key);
                        continue;
                    }
                    if (!outgoing[j].hasRemaining()) {
                        key.interestOps(key.interestOps() & ~SelectionKey.OP_WRITE);
                        pending--;
                    }
                }
                if (key.isValid() && key.isReadable()) {
                    ByteBuffer in = incoming[j];
                    if (c.read(in) < 0) {
                        if (closed == null) closed = closedMidStep(j, null);
                        pending -= drop(key);
                        continue;
                    }
                    if (in.position() >= HEADER && in.getLong(0) < 0) failed(in);
                    if (!in.hasRemaining()) {
                        key.interestOps(key.interestOps() & ~SelectionKey.OP_READ);
                        pending--;
                    }
                }
            }
        }
        if (closed != null) throw closed;
    }

    private IOException closedMidStep(int peer, IOException cause) {
        return new IOException("task " + peer + " closed its connection to task " + rank + " mid-step", cause);
    }

    /** Stops waiting on a peer that is gone; returns how many of its reads and writes were still pending. */
    private static int drop(SelectionKey key) {
        int ops = Integer.bitCount(key.interestOps() & (SelectionKey.OP_READ | SelectionKey.OP_WRITE));
        key.cancel();
        return ops;
    }

    /** Rethrows a peer's failure once its message is in (a failure frame ends at its message). */
    private static void failed(ByteBuffer in) {
        int length = (int) in.getDouble(8);
        if (in.position() < HEADER + length) return;
        byte[] text = new byte[length];
        in.get(HEADER, text);
        throw new ShardException(new String(text, StandardCharsets.UTF_8), null);
    }

    /** Sends this task's frame to every peer, for at most 10 s, without waiting for theirs. */
    private void exchangeOutgoingOnly() throws IOException {
        int pending = 0;
        for (SelectionKey key : selector.keys()) {
            outgoing[(Integer) key.attachment()].limit(mine.limit()).position(0);
            key.interestOps(SelectionKey.OP_WRITE);
            pending++;
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (pending > 0 && System.nanoTime() < deadline) {
            selector.select(1000);
            for (var it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                SelectionKey key = it.next();
                it.remove();
                int j = (Integer) key.attachment();
                if (key.isValid() && key.isWritable()) {
                    ((SocketChannel) key.channel()).write(outgoing[j]);
                    if (!outgoing[j].hasRemaining()) {
                        key.interestOps(0);
                        pending--;
                    }
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SocketChannel c : peers) {
            if (c == null) continue;
            try {
                c.close();
            } catch (IOException e) {
                if (first == null) first = e;
            }
        }
        selector.close();
        if (first != null) throw first;
    }
}
