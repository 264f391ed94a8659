package dev.moratorium.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP/1.1 over a plain socket, byte for byte as given: unlike an HTTP client library it sends
 * what an attacker would (CR LF in a request line, raw {@code %00}, oversized headers, any
 * method). One request per connection ({@code Connection: close}); the answer is read until the
 * server closes or a short quiet time passes (a live event stream never closes).
 */
public final class RawHttp {

    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.[01] (\\d{3}) ");

    private RawHttp() {
    }

    /**
     * The (first) answer; {@code status} is 0 when the server closed without answering. {@code raw}
     * is everything received, {@code statuses} the status of every answer in it (pipelined requests).
     */
    public record Answer(int status, Map<String, String> headers, String body, String raw, List<Integer> statuses) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    public static Answer send(int port, String method, String target, Map<String, String> headers, byte[] body) {
        return send(port, method, target, headers, body, 5000);
    }

    /** @param timeoutMs how long a quiet connection is waited on before its answer is taken as complete */
    public static Answer send(int port, String method, String target, Map<String, String> headers, byte[] body,
            int timeoutMs) {
        StringBuilder head = new StringBuilder().append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: localhost:").append(port).append("\r\n").append("Connection: close\r\n");
        headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        return sendRaw(port, head.toString().getBytes(StandardCharsets.UTF_8), body, timeoutMs);
    }

    public static Answer sendRaw(int port, byte[] head, byte[] body, int timeoutMs) {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(timeoutMs);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(head);
                if (body != null) {
                    out.write(body);
                }
                out.flush();
            } catch (IOException e) {
                // the server may answer and close before it read everything (413, 431): read the answer anyway
            }
            return parse(readAll(socket.getInputStream()));
        } catch (IOException e) {
            throw new IllegalStateException("could not talk to the service on port " + port, e);
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                bytes.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException | java.net.SocketException e) {
            // a stream that stays open, or a reset after the answer: what arrived is the answer
        }
        return bytes.toByteArray();
    }

    private static Answer parse(byte[] raw) {
        String text = new String(raw, StandardCharsets.UTF_8);
        List<Integer> statuses = new ArrayList<>();
        Matcher statusLine = STATUS_LINE.matcher(text);
        while (statusLine.find()) {
            statuses.add(Integer.parseInt(statusLine.group(1)));
        }
        int end = headEnd(raw);
        if (!text.startsWith("HTTP/") || end < 0) {
            return new Answer(0, Map.of(), text, text, statuses);
        }
        String[] lines = new String(raw, 0, end, StandardCharsets.UTF_8).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
            }
        }
        String body = "chunked".equalsIgnoreCase(headers.get("transfer-encoding"))
                ? dechunk(raw, end + 4)
                : new String(raw, end + 4, raw.length - end - 4, StandardCharsets.UTF_8);
        return new Answer(status, headers, body, text, statuses);
    }

    /**
     * Where the head ends ({@code \r\n\r\n}) in bytes, or -1: found once, in bytes, because a body
     * need not be ASCII and the chunk sizes count bytes.
     */
    private static int headEnd(byte[] raw) {
        for (int i = 0; i + 3 < raw.length; i++) {
            if (raw[i] == '\r' && raw[i + 1] == '\n' && raw[i + 2] == '\r' && raw[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /**
     * The chunks' bytes joined, then read as UTF-8: sizes count bytes, and a character may be split
     * between two chunks. One pass over the bytes (an answer of megabytes in thousands of chunks).
     */
    private static String dechunk(byte[] raw, int from) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int at = from;
        while (at < raw.length) {
            int lineEnd = lineEnd(raw, at);
            if (lineEnd < 0) {
                break;
            }
            String sizeText = new String(raw, at, lineEnd - at, StandardCharsets.ISO_8859_1).split(";")[0].strip();
            int size;
            try {
                size = Integer.parseInt(sizeText, 16);
            } catch (NumberFormatException e) {
                break;
            }
            if (size <= 0) {
                break; // the last chunk, or a negative size no server sends: either way the body ends here
            }
            int start = lineEnd + 2;
            int take = Math.min(size, raw.length - start);
            out.write(raw, start, take);
            at = start + take + 2;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static int lineEnd(byte[] raw, int from) {
        for (int i = from; i + 1 < raw.length; i++) {
            if (raw[i] == '\r' && raw[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
