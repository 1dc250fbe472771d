package org.panagrad.demo;

/** Charts are drawn off-screen: no display is needed (servers, CI) and no window or dock icon appears. */
final class Headless {
    private Headless() {}

    static void enable() {
        System.setProperty("java.awt.headless", "true");
    }
}
