package dev.moratorium.api;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Locale;

/**
 * Every answer the server may compress says {@code Vary: Accept-Encoding}: the same URL is then
 * gzip for one client and plain for another, and a cache or proxy in front of the service that
 * did not key on the header would hand a gzip body to a client that cannot read it (RFC 9110,
 * section 12.5.5). Netty's compressor does not say it. With compression on, Quarkus marks every
 * answer {@code Content-Encoding: identity} and takes the mark off those it lets the compressor
 * have (by media type, less the {@code @Uncompressed} methods), so an answer that has no
 * {@code Content-Encoding} as its headers are written is one that varies.
 */
@ApplicationScoped
public class VaryOnAcceptEncoding {

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE + 3).handler(VaryOnAcceptEncoding::sayVary);
    }

    static void sayVary(RoutingContext context) {
        context.addHeadersEndHandler(ignored -> addVary(context.response().headers()));
        context.next();
    }

    static void addVary(MultiMap headers) {
        if (headers.contains(HttpHeaders.CONTENT_ENCODING)) {
            return;
        }
        String vary = headers.get(HttpHeaders.VARY);
        if (vary == null) {
            headers.set(HttpHeaders.VARY, HttpHeaders.ACCEPT_ENCODING);
        } else if (!vary.toLowerCase(Locale.ROOT).contains("accept-encoding") && !vary.strip().equals("*")) {
            headers.set(HttpHeaders.VARY, vary + ", " + HttpHeaders.ACCEPT_ENCODING);
        }
    }
}
