package io.pgfleet.agent.core;

import java.util.Optional;

/**
 * What the core asks of the host's file system and environment before it applies a configuration.
 * Asked only for paths and names the host's allow-lists permit.
 */
public interface HostFiles {

    /**
     * Whether a regular file exists and the agent can read it.
     *
     * @param path absolute path
     * @return true when readable
     */
    boolean readableFile(String path);

    /**
     * A path with every symbolic link resolved, so that a link inside an allowed directory cannot
     * lead the agent out of it.
     *
     * @param path absolute path
     * @return the real path; empty when it does not exist or cannot be resolved
     */
    Optional<String> realPath(String path);

    /**
     * Whether a path exists.
     *
     * @param path absolute path
     * @return true when it exists
     */
    boolean exists(String path);

    /**
     * Whether an environment variable is set for the agent.
     *
     * @param name its name
     * @return true when set
     */
    boolean envSet(String name);
}
