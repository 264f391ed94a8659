package dev.moratorium.embedded;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;

/** Finding free ports, and saying plainly when a wanted one is taken. */
public final class Ports {

    private Ports() {
    }

    public static int free() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    public static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Waits until nothing listens on {@code port} any more (a stopped server may take a moment to let go). */
    static boolean awaitFree(int port, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!isFree(port)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    /**
     * @throws PortTakenException naming the port, what wanted it and the setting that chooses another
     */
    public static int requireFree(int port, String what, String setting) {
        if (!isFree(port)) {
            throw new PortTakenException("Port " + port + " for the " + what + " is already in use"
                    + " (is another instance running?). Stop whatever holds it, or choose another port with "
                    + setting + ".");
        }
        return port;
    }

    /** A port is taken: the message is the whole story, so no stack trace is needed. */
    public static final class PortTakenException extends RuntimeException {
        public PortTakenException(String message) {
            super(message, null, false, false);
        }
    }
}
