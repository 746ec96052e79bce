package io.pgfleet.adapter.in.http;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CompressionTest {

    @Test
    void theCommonHeadersAcceptGzipWhateverTheirCase() {
        assertTrue(Compression.gzipAllowed("gzip"));
        assertTrue(Compression.gzipAllowed("GZIP"));
        assertTrue(Compression.gzipAllowed("gzip, deflate"));
        assertTrue(Compression.gzipAllowed("gzip, deflate, br"));
        assertTrue(Compression.gzipAllowed("deflate, gzip;q=0.5"));
        assertTrue(Compression.gzipAllowed("*"));
    }

    @Test
    void gzipRefusedOrAbsentIsNotSent() {
        assertFalse(Compression.gzipAllowed("gzip;q=0"));
        assertFalse(Compression.gzipAllowed("gzip; q=0.0, deflate"));
        assertFalse(Compression.gzipAllowed("deflate, br"));
        assertFalse(Compression.gzipAllowed("identity"));
        assertFalse(Compression.gzipAllowed("gzipx"));
        assertFalse(Compression.gzipAllowed("gzip;q=nonsense"));
    }
}
