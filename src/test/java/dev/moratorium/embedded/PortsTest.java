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
