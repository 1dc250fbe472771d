package org.panagrad.demo;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

/**
 * Ctrl-C (SIGINT) and SIGTERM during training: the first asks the training loop to stop after its current step,
 * save and return, so that {@code main} prints the {@code interrupted:} line and exits normally; a second one ends
 * the process at once. Handled as signals rather than in a shutdown hook because a hook runs while the JVM is
 * already shutting down, where writing a chart (AWT registers hooks of its own) fails with "Shutdown in
 * progress" and output streams may already be closed.
 *
 * <p>{@code sun.misc.Signal} (module jdk.unsupported, in every JDK since 9) is reached by reflection, because
 * javac warns about every mention of it and the warning cannot be suppressed.
 */
final class Signals implements AutoCloseable {
    private static final List<String> STOPPING = List.of("INT", "TERM");

    private final List<Object> signals = new ArrayList<>();
    private final List<Object> previous = new ArrayList<>();
    private volatile boolean received;

    /** Installs the handlers; {@code onFirst} runs on the first signal (on the JVM's signal thread). */
    Signals(Runnable onFirst) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
            Object handler = Proxy.newProxyInstance(handlerClass.getClassLoader(), new Class<?>[] {handlerClass},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            onSignal(onFirst);
                            yield null;
                        }
                        case "equals" -> proxy == args[0];
                        case "hashCode" -> System.identityHashCode(proxy);
                        default -> "panagrad: stop and save";
                    });
            for (String name : STOPPING) {
                Object signal = signalClass.getConstructor(String.class).newInstance(name);
                signals.add(signal);
                previous.add(handle.invoke(null, signal, handler));
            }
        } catch (ReflectiveOperationException | RuntimeException unavailable) {
            // A JVM without sun.misc.Signal: Ctrl-C ends the process; the last checkpoint written stays intact.
        }
    }

    private void onSignal(Runnable onFirst) {
        if (received) {
            System.err.println("interrupted again: exiting without waiting for the save");
            Runtime.getRuntime().halt(Main.EXIT_INTERRUPTED);
        }
        received = true;
        onFirst.run();
    }

    /** Whether a signal arrived. */
    boolean received() {
        return received;
    }

    /** Restores the previous handlers (the JVM's: Ctrl-C ends it). */
    @Override
    public void close() {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Method handle = signalClass.getMethod("handle", signalClass, Class.forName("sun.misc.SignalHandler"));
            for (int i = 0; i < signals.size(); i++) handle.invoke(null, signals.get(i), previous.get(i));
        } catch (ReflectiveOperationException e) {
            // Installed by reflection above, so restoring cannot fail this way.
        }
    }
}
