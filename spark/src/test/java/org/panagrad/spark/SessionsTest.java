package org.panagrad.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.rpc.RpcEnv;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A --master that cannot be used fails fast, naming the URL: a port where nothing listens, and a port that accepts
 * TCP but is not a Spark master (Spark alone would retry its registration there for 60 s); a real standalone
 * master, started in this JVM, answers the probe.
 */
class SessionsTest {
    @Test
    void aPortWhereNothingListensFailsAtTheTcpProbe() throws Exception {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        String url = "spark://127.0.0.1:" + port;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sessions.start(url, "test", Map.of(), 10));
        assertTrue(e.getMessage().startsWith("cannot reach the Spark master " + url), e.getMessage());
    }

    @Test
    void aPortThatAcceptsTcpButIsNoSparkMasterFailsWithinThirtySecondsNamingTheUrl() throws Exception {
        List<Socket> held = new ArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> { // accepts and holds every connection, answers nothing
                try {
                    while (true) held.add(server.accept());
                } catch (java.io.IOException closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            String url = "spark://127.0.0.1:" + server.getLocalPort();
            long t = System.nanoTime();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sessions.start(url, "test", Map.of(), 10));
            double seconds = (System.nanoTime() - t) / 1e9;
            assertTrue(seconds < 30, "failed after " + seconds + " s: " + e.getMessage());
            assertTrue(e.getMessage().startsWith("the Spark master " + url + " at 127.0.0.1:" + server.getLocalPort()
                    + " accepts connections but did not answer as a Spark master"), e.getMessage());
            assertTrue(held.size() >= 1, "the probe connected: " + held.size());
        } finally {
            for (Socket s : held) s.close();
        }
    }

    @Test
    void aStandaloneMasterAnswersTheProbe() {
        SparkConf conf = new SparkConf(false).set("spark.master.rest.enabled", "false").set("spark.ui.enabled", "false");
        RpcEnv master = (RpcEnv) org.apache.spark.deploy.master.Master$.MODULE$.startRpcEnvAndEndpoint("127.0.0.1", 0, 0, conf)._1();
        try {
            String url = "spark://127.0.0.1:" + master.address().port();
            Sessions.probe(url);
            Sessions.askForMaster(url, Map.of()); // returns: a master answered
        } finally {
            master.shutdown();
            master.awaitTermination();
        }
    }
}
