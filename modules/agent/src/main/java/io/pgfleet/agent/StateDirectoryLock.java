package io.pgfleet.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 */
final class StateDirectoryLock implements AutoCloseable {

    /** The lock file in the state directory. */
    static final String FILE = "agent.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private StateDirectoryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
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
        Path file = dir.resolve(FILE);
        FileChannel channel;
        try {
            channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
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
            return Optional.empty();
        }
        if (lock == null) {
            String holder = holder(channel);
            close(channel);
            throw new IllegalStateException("another agent" + holder + " runs with the state directory " + dir
                    + ": two agents there would be one collector with one refresh token between them, which the"
                    + " server takes for a stolen token and answers by revoking the collector's tokens (both agents"
                    + " locked out until re-enrolled). Stop the other agent first (systemctl stop pgfleet-agent), or"
                    + " give this one a state_dir of its own in its local file");
        }
        try {
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        } catch (IOException e) {
            // Held all the same; another agent is refused without naming this one's pid.
        }
        return Optional.of(new StateDirectoryLock(channel, lock));
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

    /** Lets another agent take the directory. */
    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // The process ends soon, and the kernel releases it then.
        }
    }
}
