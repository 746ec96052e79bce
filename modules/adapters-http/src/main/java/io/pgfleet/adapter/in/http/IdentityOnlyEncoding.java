package io.pgfleet.adapter.in.http;

import io.helidon.http.encoding.ContentDecoder;
import io.helidon.http.encoding.ContentEncoder;
import io.helidon.http.encoding.ContentEncoding;
import io.helidon.http.encoding.ContentEncodingContext;

import java.util.Set;

/**
 * The request content codings the listener accepts: {@code identity} only, which is no coding
 * (RFC 9110 §8.4.1). Helidon refuses a request with any {@code Content-Encoding} header when it
 * knows no decoder, {@code identity} included; declaring identity as the one decoder makes that
 * header harmless, and any other coding is refused before routing with {@code 415} and
 * {@code Accept-Encoding: identity} ({@link ProtocolErrors}). Responses are compressed by the
 * API itself ({@link Compression}), not through this.
 */
final class IdentityOnlyEncoding implements ContentEncoding {

    static ContentEncodingContext context() {
        return ContentEncodingContext.builder()
                .contentEncodingsDiscoverServices(false)
                .addContentEncoding(new IdentityOnlyEncoding())
                .build();
    }

    @Override
    public Set<String> ids() {
        return Set.of("identity");
    }

    @Override
    public boolean supportsEncoding() {
        return false;
    }

    @Override
    public boolean supportsDecoding() {
        return true;
    }

    @Override
    public ContentDecoder decoder() {
        return ContentDecoder.NO_OP;
    }

    @Override
    public ContentEncoder encoder() {
        return ContentEncoder.NO_OP;
    }

    @Override
    public String name() {
        return "identity";
    }

    @Override
    public String type() {
        return "identity";
    }
}
