package io.pgfleet.adapter.in.http;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PathParamsTest {

    @Test
    void aPathNumberIsPlainDigitsWithinItsRange() {
        assertEquals(1, PathParams.positive("version", "1", Integer.MAX_VALUE));
        assertEquals(Integer.MAX_VALUE, PathParams.positive("version", "2147483647", Integer.MAX_VALUE));
        for (String raw : new String[] {"+1", "01", " 1", "1 ", "1e0", "1.0", "0", "-0", "-1", "", "１",
                "2147483648", "9223372036854775808", "99999999999999999999999"}) {
            ApiException e = assertThrows(ApiException.class, () -> PathParams.positive("version", raw, Integer.MAX_VALUE),
                    raw);
            assertEquals(400, e.problem().status().code());
            assertTrue(e.problem().detail().contains("path parameter 'version' must be a number from 1 to 2147483647"),
                    e.problem().detail());
        }
    }
}
