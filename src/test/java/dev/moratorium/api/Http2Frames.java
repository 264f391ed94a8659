package dev.moratorium.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * An HTTP/2 client of a few frames (cleartext, prior knowledge), as a careless or hostile one sends
 * them: it announces a stream window, asks, and reads nothing. Header blocks use HPACK's static table
 * and literals without indexing, so no decoder state is needed.
 */
final class Http2Frames {

    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADERS = 0x1;
    private static final int SETTINGS = 0x4;
    private static final int SETTINGS_INITIAL_WINDOW_SIZE = 0x4;

    private Http2Frames() {
    }

    /** A connection whose streams may each be sent {@code window} bytes (0: none), with a 4 KiB receive buffer never read. */
    static Socket connect(int port, int window) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress("127.0.0.1", port));
        ByteArrayOutputStream hello = new ByteArrayOutputStream();
        hello.write(PREFACE);
        hello.write(frame(SETTINGS, 0, 0, new byte[] {0, SETTINGS_INITIAL_WINDOW_SIZE,
            (byte) (window >>> 24), (byte) (window >>> 16), (byte) (window >>> 8), (byte) window}));
        hello.write(frame(SETTINGS, 0x1, 0, new byte[0])); // acknowledges the server's, unread
        socket.getOutputStream().write(hello.toByteArray());
        return socket;
    }

    /** A GET of {@code path} on stream {@code stream} (odd), its request complete. */
    static byte[] get(int stream, String path) {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.write(0x82); // :method GET
        block.write(0x86); // :scheme http
        literal(block, 4, path); // :path
        literal(block, 1, "localhost"); // :authority
        return frame(HEADERS, 0x1 | 0x4, stream, block.toByteArray()); // END_STREAM, END_HEADERS
    }

    private static void literal(ByteArrayOutputStream block, int nameIndex, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length > 126) {
            throw new IllegalArgumentException("a value of one length byte");
        }
        block.write(nameIndex); // literal without indexing, name from the static table
        block.write(bytes.length);
        block.writeBytes(bytes);
    }

    private static byte[] frame(int type, int flags, int stream, byte[] payload) {
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write(payload.length >>> 16);
        frame.write(payload.length >>> 8);
        frame.write(payload.length);
        frame.write(type);
        frame.write(flags);
        frame.write(stream >>> 24);
        frame.write(stream >>> 16);
        frame.write(stream >>> 8);
        frame.write(stream);
        frame.writeBytes(payload);
        return frame.toByteArray();
    }
}
