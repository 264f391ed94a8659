package dev.moratorium.embedded;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/** Finding free ports, and saying plainly when a wanted one is taken. */
public final class Ports {

    private Ports() {
    }

    /** The lowest port {@link #free()} hands out: above the registered ports most services use. */
    static final int LOWEST = 20_000;
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    /**
     * A free port below the kernel's ephemeral range, chosen at random.
     *
     * <p>Not {@code bind(0)}: that port comes from the ephemeral range, which every outgoing
     * connection draws its local port from, sequentially. A port chosen there and bound a few
     * seconds later — or left unbound while its server is stopped to simulate an outage — is soon
     * the local port of some client connection (in TIME_WAIT for a minute after it closes), and
     * the server cannot bind it, or a client connecting to it connects to itself. Seen in the
     * reliability tests, whose clients open thousands of connections a minute: an embedded
     * PostgreSQL's port taken before it started, a restarted broker given another controller port.
     * Below the ephemeral range only another server can take the port.
     */
    public static int free() throws IOException {
        int below = ephemeralLow();
        if (below - LOWEST >= 1_000) {
            int[] slice = slice(LOWEST, below, System.getProperty(SLICE_PROPERTY));
            for (int attempt = 0; attempt < 200; attempt++) {
                int port = slice[0] + ThreadLocalRandom.current().nextInt(slice[1] - slice[0]);
                // never the same port twice in one process: one chosen earlier may not be bound yet
                if (isFree(port) && HANDED_OUT.add(port)) {
                    return port;
                }
            }
        }
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    /**
     * Names this process's share of the ports {@link #free()} chooses from, as {@code k/n}: the k-th
     * (1-based) of n equal parts. The reliability tests run in several JVMs at once (failsafe's forks);
     * {@link #HANDED_OUT} keeps one process from handing a port out twice, but not two processes,
     * and a port is chosen seconds before its server binds it, or left unbound for a whole outage.
     */
    static final String SLICE_PROPERTY = "moratorium.ports.slice";

    /** {@code [first, end)} of the k-th of n parts of {@code [low, end)}; the whole range without a valid {@code k/n}. */
    static int[] slice(int low, int end, String slice) {
        if (slice != null && slice.matches("\\d+/\\d+")) {
            int k = Integer.parseInt(slice.substring(0, slice.indexOf('/')));
            int n = Integer.parseInt(slice.substring(slice.indexOf('/') + 1));
            int size = (end - low) / Math.max(n, 1);
            if (k >= 1 && k <= n && size >= 100) {
                return new int[] {low + (k - 1) * size, low + k * size};
            }
        }
        return new int[] {low, end};
    }

    /** The first port of the kernel's ephemeral range (Linux default 32768; 49152 per IANA elsewhere). */
    static int ephemeralLow() {
        try {
            // readAllLines, not readString: /proc files say they are empty, and readString then reads one byte
            String range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768;
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
