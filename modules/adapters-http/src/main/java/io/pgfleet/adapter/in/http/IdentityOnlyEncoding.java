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
        return new CaseInsensitive(ContentEncodingContext.builder()
                .contentEncodingsDiscoverServices(false)
                .addContentEncoding(new IdentityOnlyEncoding())
                .build());
    }

    /**
     * Content codings are case-insensitive (RFC 9110 §8.4.1): {@code Identity} is {@code identity}.
     * Helidon looks a coding up as written, so the name is lowered before it asks.
     */
    private record CaseInsensitive(ContentEncodingContext delegate) implements ContentEncodingContext {

        @Override
        public io.helidon.http.encoding.ContentEncodingContextConfig prototype() {
            return delegate.prototype();
        }

        @Override
        public boolean contentEncodingEnabled() {
            return delegate.contentEncodingEnabled();
        }

        @Override
        public boolean contentDecodingEnabled() {
            return delegate.contentDecodingEnabled();
        }

        @Override
        public boolean contentEncodingSupported(String encodingId) {
            return delegate.contentEncodingSupported(lower(encodingId));
        }

        @Override
        public boolean contentDecodingSupported(String encodingId) {
            return delegate.contentDecodingSupported(lower(encodingId));
        }

        @Override
        public ContentEncoder encoder(String encodingId) {
            return delegate.encoder(lower(encodingId));
        }

        @Override
        public ContentDecoder decoder(String encodingId) {
            return delegate.decoder(lower(encodingId));
        }

        @Override
        public ContentEncoder encoder(io.helidon.http.Headers headers) {
            return delegate.encoder(headers);
        }

        private static String lower(String encodingId) {
            return encodingId.toLowerCase(java.util.Locale.ROOT);
        }
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
