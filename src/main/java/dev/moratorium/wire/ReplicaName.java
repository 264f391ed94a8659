package dev.moratorium.wire;

import java.util.UUID;

/** What a replica calls itself when it holds a lease: host (the pod), process and a random part, so an operator can tell who holds it. */
public final class ReplicaName {

    private ReplicaName() {
    }

    /** A new name: two holders in one process (the outbox relay, a state republication) are told apart too. */
    public static String create() {
        String host = System.getenv().getOrDefault("HOSTNAME", "");
        if (host.isBlank()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "unknown-host";
            }
        }
        host = host.length() > 64 ? host.substring(0, 64) : host;
        return host + ":" + ProcessHandle.current().pid() + ":" + UUID.randomUUID().toString().substring(0, 8);
    }
}
