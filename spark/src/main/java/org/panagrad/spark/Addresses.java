package org.panagrad.spark;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/** The "host:port" strings the tasks and the driver exchange, and a connection to one of them. */
final class Addresses {
    private Addresses() {}

    /** host:port (the host may itself hold colons, as an IPv6 literal does: the port follows the last). */
    static InetSocketAddress parse(String address) {
        int colon = address.lastIndexOf(':');
        if (colon < 0) throw new IllegalArgumentException("expected host:port, got '" + address + "'");
        return new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
    }

    /** A connection to {@code address}, or an IOException naming {@code what} listens there. */
    static Socket connect(String address, int timeoutMillis, String what) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(parse(address), timeoutMillis);
            return s;
        } catch (IOException e) {
            s.close();
            throw new IOException("cannot reach " + what + " at " + address + ": " + e.getMessage(), e);
        }
    }
}
