package org.panagrad.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts a Spark context for the commands and tests, failing fast and clearly on a master that cannot be used:
 * a standalone master (spark://host:port, or several separated by commas) is first reached over TCP (at most
 * {@link #CONNECT_TIMEOUT_MS} per address), then asked over Spark's RPC whether it runs a master (at most
 * {@link #MASTER_ANSWER_SECONDS}: a port that accepts TCP but is something else fails there, naming the URL), and
 * after the context starts, at least one executor must register within {@code executorTimeoutSeconds}. Spark
 * itself would retry its registration for a minute (three tries of 20 s, fixed in its {@code StandaloneAppClient})
 * and then leave a stopped context behind.
 */
public final class Sessions {
    public static final int CONNECT_TIMEOUT_MS = 5000;
    /** How long a reachable address may take to answer as a Spark master (with the TCP probe, within 30 s). */
    static final int MASTER_ANSWER_SECONDS = 15;
    /** Results up to this size travel with the task's status (see {@link #start}); a --conf setting overrides it. */
    static final String DIRECT_RESULT_SIZE = "64m";

    private Sessions() {}

    /**
     * @param master a Spark master URL: local[N], spark://host:port, ...
     * @param conf   further Spark settings (spark.executor.memory=2g, ...)
     */
    public static JavaSparkContext start(String master, String appName, Map<String, String> conf, int executorTimeoutSeconds) {
        boolean standalone = master.startsWith("spark://");
        if (standalone) {
            probe(master);
            askForMaster(master, conf);
        }
        SparkConf sparkConf = new SparkConf().setMaster(master).setAppName(appName)
                .set("spark.ui.showConsoleProgress", "false")
                // A partition's result is a parameter-sized vector (1.6 MB for 784-500-10). Above this size (1 MB by
                // default) a task stores its result in its block manager and the driver fetches and removes it in
                // further round trips; below it the result rides in the task's status message. The RPC message limit
                // (128 MB) still caps it.
                .set("spark.task.maxDirectResultSize", DIRECT_RESULT_SIZE);
        if (standalone) {
            // The application's own jars; the cluster's workers already have Spark's.
            List<String> jars = new ArrayList<>();
            for (Class<?> c : new Class<?>[] {Sessions.class, org.panagrad.analysis.LinearOperator.class}) {
                Path p = codeSource(c);
                if (p != null && p.toString().endsWith(".jar")) jars.add(p.toString());
            }
            if (!jars.isEmpty()) sparkConf.set("spark.jars", String.join(",", jars));
        }
        conf.forEach(sparkConf::set);
        JavaSparkContext sc;
        try {
            sc = new JavaSparkContext(sparkConf);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot start Spark with --master " + master + ": " + e.getMessage(), e);
        }
        if (standalone) awaitExecutor(sc, master, executorTimeoutSeconds);
        return sc;
    }

    /** Connects to every address of a spark:// URL, so that an unreachable one fails in seconds, naming it. */
    static void probe(String master) {
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            URI uri;
            try {
                uri = new URI("spark://" + hostPort);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("--master " + master + " is not a valid Spark master URL: " + e.getMessage());
            }
            if (uri.getHost() == null || uri.getPort() < 0) {
                throw new IllegalArgumentException("--master " + master + ": expected spark://HOST:PORT, got '" + hostPort + "'");
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), CONNECT_TIMEOUT_MS);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot reach the Spark master " + master + " at " + hostPort + ": "
                        + e.getMessage() + " (is the master running there?)", e);
            }
        }
    }

    /**
     * Asks each address of a spark:// URL, over Spark's own RPC, whether a master endpoint lives there. Spark's
     * registration sends its request one way and retries it every 20 s for a minute, so a port that accepts TCP
     * but is not a Spark master would otherwise fail only after 60 s; the lookup is a request with a reply, bounded
     * by {@code spark.rpc.lookupTimeout}. {@code conf} carries the user's settings (authentication, ...).
     */
    static void askForMaster(String master, Map<String, String> conf) {
        SparkConf probeConf = new SparkConf(false);
        conf.forEach(probeConf::set);
        probeConf.set("spark.rpc.lookupTimeout", MASTER_ANSWER_SECONDS + "s");
        org.apache.spark.rpc.RpcEnv rpc = org.apache.spark.rpc.RpcEnv.create("panagrad-master-probe", "127.0.0.1", 0, probeConf,
                new org.apache.spark.SecurityManager(probeConf, org.apache.spark.SecurityManager$.MODULE$.$lessinit$greater$default$2(),
                        org.apache.spark.SecurityManager$.MODULE$.$lessinit$greater$default$3()), true);
        try {
            for (String hostPort : master.substring("spark://".length()).split(",")) {
                URI uri = URI.create("spark://" + hostPort); // probe() has checked the syntax
                long t = System.nanoTime();
                try {
                    rpc.setupEndpointRef(new org.apache.spark.rpc.RpcAddress(uri.getHost(), uri.getPort()),
                            org.apache.spark.deploy.master.Master$.MODULE$.ENDPOINT_NAME());
                } catch (Exception e) { // a timeout, or no such endpoint (Scala throws them undeclared)
                    throw new IllegalArgumentException("the Spark master " + master + " at " + hostPort + " accepts connections but did not "
                            + "answer as a Spark master (" + String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - t) / 1e9)
                            + " s, at most " + MASTER_ANSWER_SECONDS + " s): " + e.getMessage()
                            + " (is it a Spark master's port, of a compatible Spark version?)", e);
                }
            }
        } finally {
            rpc.shutdown();
        }
    }

    private static void awaitExecutor(JavaSparkContext sc, String master, int timeoutSeconds) {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (sc.sc().statusTracker().getExecutorInfos().length < 2) { // the driver is listed too
            if (sc.sc().isStopped() || System.nanoTime() > deadline) {
                sc.stop();
                throw new IllegalArgumentException("no executor registered with the Spark master " + master + " within "
                        + timeoutSeconds + " s (is a worker running, with the cores and memory asked for?)");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for executors of " + master, e);
            }
        }
    }

    private static Path codeSource(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            return null;
        }
    }
}
