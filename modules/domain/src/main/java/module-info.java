/**
 * The pgfleet domain: collectors, their versioned configurations and the rules that govern
 * publishing them. Depends on nothing but {@code java.base}.
 */
module io.pgfleet.domain {
    exports io.pgfleet.domain.access;
    exports io.pgfleet.domain.audit;
    exports io.pgfleet.domain.capability;
    exports io.pgfleet.domain.collector;
    exports io.pgfleet.domain.common;
    exports io.pgfleet.domain.config;
    exports io.pgfleet.domain.fleet;
    exports io.pgfleet.domain.identity;
    exports io.pgfleet.domain.layer;
    exports io.pgfleet.domain.reload;
    exports io.pgfleet.domain.rollout;
    exports io.pgfleet.domain.schema;
}
