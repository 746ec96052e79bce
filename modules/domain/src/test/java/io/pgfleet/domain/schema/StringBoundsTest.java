package io.pgfleet.domain.schema;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The strings of a configuration are bounded in a new version (and by the agent) as PostgreSQL and
 * the operating system count them, in bytes: a role name, a path, a variable name. A version stored
 * before the bounds still validates.
 */
class StringBoundsTest {

    private static DocumentValue.Table postgres(String key, String value) {
        Map<String, DocumentValue> pg = new LinkedHashMap<>();
        pg.put(key, new DocumentValue.Text(value, new SourcePosition(3, 1)));
        Map<String, DocumentValue> root = new LinkedHashMap<>();
        root.put("postgres", new DocumentValue.Table(pg, new SourcePosition(2, 1)));
        return new DocumentValue.Table(root, SourcePosition.start());
    }

    private static ValidationError refusedWhenNew(String key, String value) {
        Validation.Invalid invalid = assertInstanceOf(Validation.Invalid.class,
                ConfigValidator.validateBounded(new ParseOutcome.Parsed(postgres(key, value))), key);
        assertEquals(1, invalid.total(), invalid.toString());
        return invalid.errors().get(0);
    }

    @Test
    void rejectsARoleNameLongerThanNamedatalenInBytesWhenNewButStillValidatesAStoredOne() {
        // 32 characters, 64 bytes: within 63 characters, beyond PostgreSQL's 63 bytes.
        String user = "é".repeat(32);
        ValidationError e = refusedWhenNew("user", user);
        assertEquals("postgres.user", e.key());
        assertEquals(List.of(3, 1), List.of(e.line(), e.column()), "at the value");
        assertEquals("is 64 bytes long; at most 63 are accepted (PostgreSQL's NAMEDATALEN)", e.message());
        assertInstanceOf(Validation.Valid.class, ConfigValidator.validate(postgres("user", user)), "stored before the bound");
        assertInstanceOf(Validation.Valid.class, ConfigValidator.validateBounded(
                new ParseOutcome.Parsed(postgres("user", "r".repeat(ConfigSchema.MAX_ROLE_NAME_BYTES)))));
    }

    @Test
    void rejectsAPasswordFileBeyondPathMaxAndAnEnvNameBeyond255WhenNew() {
        String path = "/" + "p".repeat(ConfigSchema.MAX_PATH_BYTES);
        ValidationError file = refusedWhenNew("password_file", path);
        assertEquals("postgres.password_file", file.key());
        assertTrue(file.message().startsWith("is 4097 bytes long; at most 4096 are accepted"), file.message());
        assertInstanceOf(Validation.Valid.class, ConfigValidator.validate(postgres("password_file", path)));
        assertInstanceOf(Validation.Valid.class, ConfigValidator.validateBounded(new ParseOutcome.Parsed(
                postgres("password_file", "/" + "p".repeat(ConfigSchema.MAX_PATH_BYTES - 1)))), "at the bound");

        String env = "PG_" + "X".repeat(ConfigSchema.MAX_ENV_NAME_BYTES);
        ValidationError name = refusedWhenNew("password_env", env);
        assertEquals("postgres.password_env", name.key());
        assertTrue(name.message().startsWith("is 258 bytes long; at most 255 are accepted"), name.message());
        assertInstanceOf(Validation.Valid.class, ConfigValidator.validate(postgres("password_env", env)));
        // The character set holds too, whatever the length.
        assertTrue(refusedWhenNew("password_env", "PG PASSWORD").message().startsWith("must be an environment variable name"));
    }

    @Test
    void countsACharacterBeyondTheBasicPlaneAsFourBytes() {
        // 15 emoji are 60 bytes and 30 UTF-16 units; 16 are 64 bytes.
        assertInstanceOf(Validation.Valid.class, ConfigValidator.validateBounded(
                new ParseOutcome.Parsed(postgres("user", "\uD83D\uDE00".repeat(15)))));
        assertTrue(refusedWhenNew("user", "\uD83D\uDE00".repeat(16)).message().startsWith("is 64 bytes long"));
    }
}
