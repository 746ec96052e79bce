package io.pgfleet.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a document the CLI is about to send (a file or standard input) the way the server would
 * take it: at most {@link #MAX_DOCUMENT_BYTES} bytes, strictly UTF-8. Checking here rather than
 * leaving it to the server matters for two reasons: an unbounded read of {@code /dev/zero} or a
 * runaway pipe exhausts the CLI's heap long before anything is sent, and a lenient decode would
 * turn a Latin-1 or UTF-16 file into U+FFFD characters that the server accepts and stores for good.
 */
final class DocumentInput {

    /** The server's request body limit, which bounds every configuration document (docs/api.md). */
    static final int MAX_DOCUMENT_BYTES = 256 * 1024;

    private DocumentInput() {
    }

    /**
     * Reads and decodes one document.
     *
     * @param in   the bytes; read at most {@code limit + 1} of them, never closed here
     * @param name the file name (or {@code <stdin>}) the messages speak of
     * @return the text
     * @throws CliException ({@link ExitCodes#REFUSED}) when it is too large or not UTF-8
     * @throws IOException  when it cannot be read
     */
    static String read(InputStream in, String name) throws IOException {
        return decode(bounded(in, name, MAX_DOCUMENT_BYTES), name);
    }

    /**
     * At most {@code limit} bytes of {@code in}; one byte more is read only to tell that there is more,
     * so a source that never ends costs {@code limit + 1} bytes, not the heap.
     */
    static byte[] bounded(InputStream in, String name, int limit) throws IOException {
        byte[] bytes = in.readNBytes(limit + 1);
        if (bytes.length > limit) {
            throw new CliException(ExitCodes.REFUSED, name + " is larger than " + (limit / 1024)
                    + " KiB, the most the server takes; nothing sent");
        }
        return bytes;
    }

    /** The bytes as UTF-8, refused (naming where) at the first byte that is not. */
    static String decode(byte[] bytes, String name) {
        if (bytes.length >= 2 && ((bytes[0] == (byte) 0xFE && bytes[1] == (byte) 0xFF)
                || (bytes[0] == (byte) 0xFF && bytes[1] == (byte) 0xFE))) {
            // A UTF-16 file is invalid UTF-8 at its first byte, which says nothing useful about the file.
            throw new CliException(ExitCodes.REFUSED, name + " is UTF-16 (it starts with a UTF-16 byte order mark), "
                    + "not UTF-8; save it as UTF-8; nothing sent");
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer source = ByteBuffer.wrap(bytes);
        // UTF-8 never takes more chars than bytes.
        CharBuffer text = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(source, text, true);
        if (!result.isError()) {
            result = decoder.flush(text);
        }
        if (result.isError()) {
            int offset = source.position();
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < offset; i++) {
                if (bytes[i] == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            byte[] bad = Arrays.copyOfRange(bytes, offset, Math.min(bytes.length, offset + result.length()));
            StringBuilder hex = new StringBuilder();
            for (byte b : bad) {
                hex.append(hex.isEmpty() ? "" : " ").append(String.format("0x%02X", b & 0xFF));
            }
            throw new CliException(ExitCodes.REFUSED, name + " is not valid UTF-8: byte " + hex + " at offset " + offset
                    + " (line " + line + ", byte " + (offset - lineStart + 1) + " of the line); save it as UTF-8; nothing sent");
        }
        return text.flip().toString();
    }
}
