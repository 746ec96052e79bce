/**
 * The demo: the server, one agent process and a visible hot reload, in plain words on a terminal.
 */
package io.pgfleet.demo;
