package io.pgfleet.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

/**
 * One agent per state directory, held for as long as the agent runs. Two agents on one directory
 * (the service, and the same command started by hand to look at its output; a container started
 * again while the old one still runs) are one collector with one refresh token between them: the
 * server takes the second presentation of a spent token for a stolen one and revokes the
 * collector's tokens, locking both out until an operator re-enrols the host; meanwhile each
 * overwrites the other's undelivered samples. So the second one refuses to start.
 *
 * <p>The lock is the kernel's ({@code fcntl}), on {@value #FILE}: it ends with the process however
 * the process ends ({@code kill -9}, a crash, a power cut), so a file left behind never keeps an agent
 * from starting. The file holds the holder's pid, to name it.
 *
 * <p>A lock is on a file, not on a name: a directory deleted and made again while the agent runs
 * (an operator cleaning up, a tmpfs mounted anew) leaves it holding a file that is no longer
 * there, and a second agent would find the new directory free. So before every state write the
 * agent looks whether {@value #FILE} is still the file it locked ({@link #check()}, a {@code stat})
 * and locks the one that is there when it is not.
 */
final class StateDirectoryLock implements AutoCloseable {

    /** The lock file in the state directory. */
    static final String FILE = "agent.lock";

    private final Path dir;
    /** The locked file, its lock, and its identity on disk; replaced when it is locked again. Under this. */
    private Locked held;

    /** An open lock file, its lock, and the file's identity on disk (device and inode; null when the file system gives none). */
    private record Locked(FileChannel channel, FileLock lock, Object fileKey) {
    }

    /** What an attempt to lock the directory's lock file came to. */
    private sealed interface Attempt {
        /** Locked by this process. */
        record Taken(Locked locked) implements Attempt {
        }

        /** Another agent holds it; {@code holder} names its pid as {@code " (pid 4711)"}, or is empty. */
        record HeldByAnother(String holder) implements Attempt {
        }

        /** There is nothing to lock: the directory cannot be written, or the file system gives no locks. */
        record Unlockable() implements Attempt {
        }
    }

    /** What {@link #check()} found. */
    sealed interface Hold {
        /** The lock file there is the one this agent locked. */
        record Kept() implements Hold {
        }

        /** The lock file was gone or another one: this agent locked the one there now. */
        record TakenAgain() implements Hold {
        }

        /**
         * The lock file there now is another agent's.
         *
         * @param holder its pid as {@code " (pid 4711)"}, or empty when it is not known
         */
        record Lost(String holder) implements Hold {
        }

        /** The lock file is gone and none can be locked now (the directory is gone or cannot be written). */
        record Unlockable() implements Hold {
        }
    }

    private StateDirectoryLock(Path dir, Locked held) {
        this.dir = dir;
        this.held = held;
    }

    /**
     * Takes the state directory for this process.
     *
     * @param dir the state directory (it exists)
     * @return the lock; empty when the directory cannot be written (nothing to lock: the agent then
     *         keeps nothing there and says so)
     * @throws IllegalStateException when another agent holds it, naming that agent's pid
     */
    static Optional<StateDirectoryLock> take(Path dir) {
        return switch (attempt(dir)) {
            case Attempt.Taken t -> Optional.of(new StateDirectoryLock(dir, t.locked()));
            case Attempt.Unlockable u -> Optional.empty();
            case Attempt.HeldByAnother h -> throw new IllegalStateException("another agent" + h.holder()
                    + " runs with the state directory " + dir + ": two agents there would be one collector with one"
                    + " refresh token between them, which the server takes for a stolen token and answers by revoking"
                    + " the collector's tokens (both agents locked out until re-enrolled). Stop the other agent first"
                    + " (systemctl stop pgfleet-agent), or give this one a state_dir of its own in its local file");
        };
    }

    /**
     * Whether this process still holds the directory: {@value #FILE} there is the file it locked
     * (one {@code stat}). When it is gone or another file, the one there now is locked (made when
     * missing), so that a second agent started on a directory made again is still refused.
     *
     * @return what was found
     */
    synchronized Hold check() {
        if (held.fileKey() == null) {
            // A file system that tells no file from another: nothing to compare, the lock stays as taken.
            return new Hold.Kept();
        }
        if (held.fileKey().equals(fileKey(dir.resolve(FILE)))) {
            return new Hold.Kept();
        }
        return switch (attempt(dir)) {
            case Attempt.Taken t -> {
                release(held);
                held = t.locked();
                yield new Hold.TakenAgain();
            }
            case Attempt.HeldByAnother h -> new Hold.Lost(h.holder());
            case Attempt.Unlockable u -> new Hold.Unlockable();
        };
    }

    private static Attempt attempt(Path dir) {
        Path file = dir.resolve(FILE);
        FileChannel channel;
        try {
            channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (IOException | UnsupportedOperationException e) {
            return new Attempt.Unlockable();
        }
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            // This JVM holds it already: another agent in the same process.
            lock = null;
        } catch (IOException e) {
            // A lock the file system cannot give (some network file systems): the agent runs as before.
            close(channel);
            return new Attempt.Unlockable();
        }
        if (lock == null) {
            String holder = holder(channel);
            close(channel);
            return new Attempt.HeldByAnother(holder);
        }
        try {
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        } catch (IOException e) {
            // Held all the same; another agent is refused without naming this one's pid.
        }
        // Read once it is locked: a file replaced between the open and now is found at the next check.
        return new Attempt.Taken(new Locked(channel, lock, fileKey(file)));
    }

    /** The file's identity on disk (device and inode), or null when it is not there or the file system gives none. */
    private static Object fileKey(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    private static void close(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing is held
        }
    }

    /** The holder's pid as it wrote it, for the message: {@code " (pid 4711)"}, or nothing when unreadable. */
    private static String holder(FileChannel channel) {
        try {
            ByteBuffer b = ByteBuffer.allocate(32);
            channel.read(b, 0);
            String pid = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).strip();
            return pid.matches("[0-9]{1,10}") ? " (pid " + pid + ")" : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static void release(Locked locked) {
        try {
            locked.lock().release();
            locked.channel().close();
        } catch (IOException ignored) {
            // The process ends soon, and the kernel releases it then.
        }
    }

    /** Lets another agent take the directory. */
    @Override
    public synchronized void close() {
        release(held);
    }
}
