package io.pgfleet.domain.config;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.identity.Actor;

import java.time.Instant;

/** Test data builder for {@link PublishRequest}. */
public final class PublishRequestBuilder {

    private CollectorId collectorId = CollectorId.of("db-01");
    private String document = "[collector]\npush_interval = 60\n";
    private Precondition precondition = new Precondition.None();
    private RevisionSource source = new RevisionSource.Put();
    private Instant at = Instant.parse("2026-11-29T10:00:00Z");

    public static PublishRequestBuilder aPublish() {
        return new PublishRequestBuilder();
    }

    public PublishRequestBuilder forCollector(String id) {
        collectorId = CollectorId.of(id);
        return this;
    }

    public PublishRequestBuilder withDocument(String text) {
        document = text;
        return this;
    }

    public PublishRequestBuilder expecting(Precondition p) {
        precondition = p;
        return this;
    }

    public PublishRequestBuilder from(RevisionSource s) {
        source = s;
        return this;
    }

    public PublishRequest build() {
        return new PublishRequest(collectorId, new ConfigDocument(document), precondition,
                new Actor("alice", "127.0.0.1"), "", source, at);
    }
}
