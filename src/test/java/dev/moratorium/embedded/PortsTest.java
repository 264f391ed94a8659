package dev.moratorium.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PortsTest {

    @Test
    void freePortsComeFromBelowTheEphemeralRangeAndAreNeverHandedOutTwice() throws Exception {
        int ephemeralLow = Ports.ephemeralLow();
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            int port = Ports.free();
            assertThat(seen.add(port)).as("port %d handed out twice", port).isTrue();
            if (ephemeralLow - Ports.LOWEST >= 1_000) {
                assertThat(port).isBetween(Ports.LOWEST, ephemeralLow - 1);
            }
        }
    }

    /** Two failsafe forks choose at once: each from its own half, so neither takes a port the other chose. */
    @Test
    void aSliceIsItsShareOfTheRangeAndAnythingElseIsTheWholeRange() {
        assertThat(Ports.slice(20_000, 32_768, "1/2")).containsExactly(20_000, 26_384);
        assertThat(Ports.slice(20_000, 32_768, "2/2")).containsExactly(26_384, 32_768);
        assertThat(Ports.slice(20_000, 32_768, "3/3")).containsExactly(28_512, 32_768);
        for (String notASlice : new String[] {null, "", "0/2", "3/2", "1/0", "2", "a/b", "${surefire.forkNumber}/2",
                "1/1000"}) {
            assertThat(Ports.slice(20_000, 32_768, notASlice)).as(String.valueOf(notASlice))
                    .containsExactly(20_000, 32_768);
        }
    }

    @Test
    void freePortsStayInTheSliceTheProcessWasGiven() throws Exception {
        String before = System.getProperty(Ports.SLICE_PROPERTY);
        System.setProperty(Ports.SLICE_PROPERTY, "2/2");
        try {
            int below = Ports.ephemeralLow();
            int[] half = Ports.slice(Ports.LOWEST, below, "2/2");
            for (int i = 0; i < 50; i++) {
                int port = Ports.free();
                if (below - Ports.LOWEST >= 1_000) {
                    assertThat(port).isBetween(half[0], half[1] - 1);
                }
            }
        } finally {
            if (before == null) {
                System.clearProperty(Ports.SLICE_PROPERTY);
            } else {
                System.setProperty(Ports.SLICE_PROPERTY, before);
            }
        }
    }

    /** What the choice protects against: an outgoing connection's local port is drawn from the ephemeral range. */
    @Test
    void outgoingConnectionsNeverUseAPortFreeHandsOut() throws Exception {
        int ephemeralLow = Ports.ephemeralLow();
        try (ServerSocket server = new ServerSocket(Ports.free(), 50, InetAddress.getLoopbackAddress())) {
            for (int i = 0; i < 20; i++) {
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                        Socket accepted = server.accept()) {
                    assertThat(client.getLocalPort()).isGreaterThanOrEqualTo(ephemeralLow);
                    assertThat(accepted.getPort()).isEqualTo(client.getLocalPort());
                }
            }
        }
    }
}
