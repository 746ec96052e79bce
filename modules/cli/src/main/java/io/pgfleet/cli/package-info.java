/**
 * The operator CLI ({@code pgfleet login|logout|whoami|config|collectors|users|audit}): picocli
 * commands over the HTTP API v1, a token cache shared by concurrent processes under a file lock,
 * and output as tables, JSON or TOML. Exit codes say what happened (see {@link io.pgfleet.cli.ExitCodes}).
 */
package io.pgfleet.cli;
