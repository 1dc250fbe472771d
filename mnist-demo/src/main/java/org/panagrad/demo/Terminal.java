package org.panagrad.demo;

import java.io.Console;
import java.lang.reflect.Method;

/** Whether the program talks to a person at a terminal, or to a file, a pipe or a CI log. */
final class Terminal {
    private Terminal() {}

    /**
     * Up to JDK 21 {@link System#console()} is null unless stdin and stdout are a terminal; from JDK 22 it exists
     * for redirected streams too and {@code Console.isTerminal()} (absent from 17) says which.
     */
    static boolean interactive() {
        Console console = System.console();
        if (console == null) return false;
        try {
            Method isTerminal = Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (NoSuchMethodException beforeJdk22) {
            return true;
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }
}
