package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbTransaction;
import io.pgfleet.application.port.out.LayerStorePort;
import io.pgfleet.application.port.out.LoadLayersPort;
import io.pgfleet.application.port.out.LayerStorePort.OwnPublishTarget;
import io.pgfleet.application.port.out.LayerStorePort.SharedLayers;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.capability.MemberFacts;
import io.pgfleet.domain.fleet.CapabilityGap;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.ContentHash;
import io.pgfleet.domain.config.RevisionSource;
import io.pgfleet.domain.layer.EffectiveRevision;
import io.pgfleet.domain.layer.Group;
import io.pgfleet.domain.layer.GroupId;
import io.pgfleet.domain.layer.LabelSelector;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.layer.LayerMember;
import io.pgfleet.domain.layer.OwnLayer;
import io.pgfleet.domain.layer.LayerRevision;
import io.pgfleet.domain.layer.StagedLayer;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Configuration layers, groups and effective revisions ({@code config_layers},
 * {@code layer_revisions}, {@code config_groups}, {@code effective_configs}).
 *
 * <p>Layer changes serialise on a transaction-scoped advisory lock; collectors are locked with
 * {@code SELECT … FOR UPDATE} in id order (the same row lock an own-layer publish takes, so the
 * two kinds of change never compute a collector's effective revision at the same time).
 */
public final class LayerPersistenceAdapter implements LayerStorePort, LoadLayersPort {

    /** The channel effective revisions are announced on, payload {@code collectorId:revision}. */
    public static final String EFFECTIVE_CHANNEL = "pgfleet_effective";
    /**
     * The channel a change of an effective revision's sources alone is announced on (same payload):
     * instances refresh what they remember of it without waking its watchers.
     */
    public static final String SOURCES_CHANNEL = "pgfleet_effective_sources";
    /**
     * Key of the advisory lock of layer and group changes: taken exclusively by changes that may
     * affect many collectors, shared by changes of one collector alone.
     */
    static final long LAYERS_LOCK = 0x7067666c6c617972L;

    private static final String LAYER_COLUMNS = "layer, version, document, content_hash, created_at, created_by, message, source";
    /*
     * pull_interval_s, named when it held config_pull_interval alone, holds an effective revision's
     * longest expected silence of its agent (EffectiveConfig.longestSilence: push_interval or the
     * sampling when longer): the only thing it is read for is whether the collector is stale, and a
     * healthy agent is heard from by its pushes, not its pulls. Kept under its name so that
     * instances of the previous release, during a rolling upgrade, read and write the same column.
     */
    private static final String EFFECTIVE_COLUMNS =
            "e.collector_id, e.revision, e.document, e.content_hash, coalesce(e.effective_sha256, '') AS effective_sha256,"
            + " e.sources, e.created_at, coalesce(e.pull_interval_s, 0) AS pull_interval_s";
    /*
     * Members as a change reads them, ordered by id: documents by content hash only. Their texts
     * come from the instance's DocumentCache, and those it has not kept from one more statement,
     * once per distinct hash (MemberRows), so a page of 2,000 members whose documents are a few
     * distinct texts transfers those texts at most once, and usually not at all. (Marking the first
     * row of each content with window functions sent them once per page too, but sorted the page
     * twice in PostgreSQL: most of the statement's time.) Each column of each row costs the
     * database client an object and its metadata, and the own version's author, time, message and
     * source are read only for a publish of own layers (OWN_PUBLISH_QUERY), which answers with
     * them; merging needs none of them. That publish reads its few collectors' documents with their
     * rows, as it always did: they are seldom shared, and one statement is its cheapest read.
     */
    /*
     * The member's columns come packed into one text column (MemberRow): the database client builds
     * an object, its metadata and a class look-up for every column of every row, which for a fleet
     * change of 10,000 members and ten columns was most of the Java side of the read. None of the
     * packed values can hold the separator, U+001F: ids, versions, hashes and layer sources are
     * restricted characters, and JSON text (the labels) escapes every control character. The
     * effective revision's time travels as microseconds since the epoch, exact for a timestamptz:
     * whole seconds and the second's microseconds are taken apart, since before PostgreSQL 14
     * extract() answers a double, too short for an epoch in microseconds.
     */
    private static final String MEMBER_COLUMNS = """
            SELECT concat_ws(chr(31), c.id, coalesce(c.labels::text, '{}'),
                   coalesce(r.version, 0), coalesce(r.content_hash, ''),
                   coalesce(e.revision, 0), coalesce(e.content_hash, ''), coalesce(e.effective_sha256, ''),
                   coalesce(e.sources, ''), coalesce(extract(epoch FROM date_trunc('second', e.created_at))::bigint * 1000000
                            + extract(microseconds FROM e.created_at)::bigint % 1000000, 0),
                   coalesce(e.pull_interval_s, 0)) AS member""";
    private static final String MEMBER_FROM = """

            FROM collectors c
            LEFT JOIN config_revisions r ON r.collector_id = c.id AND r.version = c.latest_version
            LEFT JOIN effective_configs e ON e.collector_id = c.id
            WHERE c.decommissioned_at IS NULL AND """;
    private static final String MEMBER_QUERY = MEMBER_COLUMNS + MEMBER_FROM;
    private static final String OWN_PUBLISH_QUERY = MEMBER_COLUMNS + """
            ,
                   r.document AS own_document, e.document AS e_document,
                   r.created_at AS own_created_at, r.created_by AS own_created_by, r.message AS own_message,
                   r.source AS own_source""" + MEMBER_FROM;

    private final DbClient db;
    private final DocumentCache documents;

    LayerPersistenceAdapter(DbClient db, DocumentCache documents) {
        this.db = db;
        this.documents = documents;
    }

    @Override
    public <T> T transact(Function<LayerStorePort.Transaction, Outcome<T>> work) {
        return transact(db, "changing configuration layers", t -> new Tx(t, documents), work);
    }

    /**
     * The same store reading documents through another cache (tests give it small bounds).
     *
     * @param other the cache
     * @return the store
     */
    LayerPersistenceAdapter withDocuments(DocumentCache other) {
        return new LayerPersistenceAdapter(db, other);
    }

    /**
     * Runs work through a view of a transaction (a layer change's, or one that extends it), writes
     * what the view buffered and commits when the work says so, else rolls back.
     *
     * @param db   the database
     * @param what what the work does, for the error when the database cannot be reached
     * @param view the view over the transaction
     * @param work the work
     * @param <V>  the view's type
     * @param <T>  the work's result
     * @return the work's result
     */
    static <V extends Tx, T> T transact(DbClient db, String what, Function<DbTransaction, V> view,
                                        Function<? super V, Outcome<T>> work) {
        return Rows.guard(what, () -> Rows.<Outcome<T>>inTransaction(db, tx -> {
            V v = view.apply(tx);
            Outcome<T> outcome = work.apply(v);
            if (outcome.commit()) {
                v.flush();
            }
            return outcome;
        }, o -> o.commit()).value());
    }

    @Override
    public Optional<EffectiveRevision> loadEffective(CollectorId id) {
        return Rows.guard("loading the effective configuration of " + id, () -> db.execute()
                .get("SELECT " + EFFECTIVE_COLUMNS + " FROM effective_configs e JOIN collectors c ON c.id = e.collector_id"
                        + " WHERE e.collector_id = ? AND c.decommissioned_at IS NULL", id.value())
                .map(LayerPersistenceAdapter::effective));
    }

    @Override
    public Optional<LayerRevision> loadLatestLayer(LayerId layer) {
        return Rows.guard("loading layer " + layer.label(), () -> latestLayer(db.execute(), layer));
    }

    @Override
    public Optional<LayerRevision> loadLayerVersion(LayerId layer, ConfigVersion version) {
        return Rows.guard("loading layer " + layer.label(), () -> layerVersion(db.execute(), layer, version));
    }

    @Override
    public List<LayerRevision> loadLayerHistory(LayerId layer, int beforeVersion, int limit) {
        return Rows.guard("reading the history of layer " + layer.label(), () -> db.execute()
                .query("SELECT " + LAYER_COLUMNS + " FROM layer_revisions WHERE layer = ? AND version < ?"
                        + " ORDER BY version DESC LIMIT ?", layer.label(), beforeVersion, limit)
                .map(LayerPersistenceAdapter::layerRevision).toList());
    }

    @Override
    public List<Group> loadGroups() {
        return Rows.guard("reading groups", () -> groups(db.execute()));
    }

    @Override
    public Optional<Group> loadGroup(GroupId id) {
        return Rows.guard("reading group " + id, () -> db.execute()
                .get("SELECT id, selector::text AS selector, priority, description FROM config_groups"
                        + " WHERE id = ? AND deleted_at IS NULL", id.value())
                .map(LayerPersistenceAdapter::group));
    }

    @Override
    public Optional<Instant> loadGroupDeletedAt(GroupId id) {
        return Rows.guard("reading group " + id, () -> db.execute()
                .get("SELECT deleted_at FROM config_groups WHERE id = ? AND deleted_at IS NOT NULL", id.value())
                .map(row -> Rows.instant(row, "deleted_at")));
    }

    @Override
    public List<CollectorId> loadMembers(LabelSelector selector, String after, int limit) {
        return Rows.guard("reading the members of a group", () -> db.execute()
                .query("SELECT id FROM collectors WHERE decommissioned_at IS NULL AND labels @> ?::jsonb AND id > ?"
                        + " ORDER BY id LIMIT ?", CollectorPersistenceAdapter.json(selector.labels()), after, limit)
                .map(r -> CollectorId.of(Rows.text(r, "id"))).toList());
    }

    // The current version (config_layers.latest_version), which is not the highest while a rollout stages one.
    private static Optional<LayerRevision> latestLayer(DbExecute exec, LayerId layer) {
        return exec.get("SELECT r.layer, r.version, r.document, r.content_hash, r.created_at, r.created_by, r.message,"
                        + " r.source FROM layer_revisions r JOIN config_layers l ON l.layer = r.layer"
                        + " AND r.version = l.latest_version WHERE r.layer = ?",
                layer.label()).map(LayerPersistenceAdapter::layerRevision);
    }

    private static Optional<LayerRevision> layerVersion(DbExecute exec, LayerId layer, ConfigVersion version) {
        return exec.get("SELECT " + LAYER_COLUMNS + " FROM layer_revisions WHERE layer = ? AND version = ?",
                layer.label(), version.value()).map(LayerPersistenceAdapter::layerRevision);
    }

    private static List<Group> groups(DbExecute exec) {
        return exec.query("SELECT id, selector::text AS selector, priority, description FROM config_groups"
                + " WHERE deleted_at IS NULL ORDER BY id").map(LayerPersistenceAdapter::group).toList();
    }

    private static Group group(DbRow r) {
        return new Group(new GroupId(Rows.text(r, "id")),
                new LabelSelector(CollectorPersistenceAdapter.labels(Rows.text(r, "selector"))),
                Rows.integer(r, "priority"), Rows.text(r, "description"));
    }

    static LayerId layerId(String label) {
        return label.equals("fleet") ? new LayerId.Fleet() : new LayerId.Group(new GroupId(label.substring("group/".length())));
    }

    static LayerRevision layerRevision(DbRow r) {
        return new LayerRevision(layerId(Rows.text(r, "layer")), new ConfigVersion(Rows.integer(r, "version")),
                new ConfigDocument(Rows.text(r, "document")), new ContentHash(Rows.text(r, "content_hash")),
                Rows.instant(r, "created_at"), Rows.text(r, "created_by"), Rows.text(r, "message"),
                RevisionSource.parse(Rows.text(r, "source")));
    }

    private static EffectiveRevision effective(DbRow r) {
        return new EffectiveRevision(CollectorId.of(Rows.text(r, "collector_id")),
                new ConfigVersion(Rows.integer(r, "revision")),
                new ConfigDocument(Rows.text(r, "document")),
                new ContentHash(Rows.text(r, "content_hash")),
                r.column("effective_sha256").get().toString().strip(),
                sources(Rows.text(r, "sources")),
                Rows.instant(r, "created_at"),
                ((Number) r.column("pull_interval_s").get()).longValue());
    }

    /**
     * The stored sources text ({@code fleet@3, group/eu@7, collector@2}) as a list. Split by hand:
     * {@code String.split(", ")} compiles a pattern on every call (only one-character separators take
     * its fast path), and a fleet change reads 10,000 of these.
     */
    static List<String> sources(String text) {
        if (text.isEmpty()) {
            return List.of();
        }
        List<String> out = new java.util.ArrayList<>(4);
        int from = 0;
        for (int at = text.indexOf(", "); at >= 0; at = text.indexOf(", ", from)) {
            out.add(text.substring(from, at));
            from = at + 2;
        }
        out.add(text.substring(from));
        return out;
    }

    /**
     * The packed column of a member row ({@link #MEMBER_COLUMNS}), split.
     *
     * @param id                  the collector's id
     * @param labels              its labels, as JSON text
     * @param ownVersion          its own layer's latest version, 0 for none
     * @param ownHash             that version's content hash (empty for none)
     * @param effectiveRevision   its effective revision, 0 for none
     * @param effectiveHash       that revision's content hash (empty for none)
     * @param effectiveSha256     the hash its agent reports for it (empty before one is known)
     * @param sources             the revision's sources as stored ({@code fleet@3, collector@2})
     * @param effectiveMicros     the revision's time, microseconds since the epoch
     * @param silenceSeconds      the revision's longest expected silence of its agent, 0 when unknown
     */
    record MemberRow(String id, String labels, int ownVersion, String ownHash, int effectiveRevision,
                     String effectiveHash, String effectiveSha256, String sources, long effectiveMicros,
                     long silenceSeconds) {

        /** The separator of the packed column: U+001F, which none of its values can hold. */
        static final char SEPARATOR = '\u001f';

        static MemberRow of(DbRow row) {
            return parse(Rows.text(row, "member"));
        }

        /**
         * Splits a packed column.
         *
         * @param packed the column's text
         * @return its values
         * @throws IllegalStateException when it does not hold exactly ten values
         */
        static MemberRow parse(String packed) {
            String[] v = new String[10];
            int from = 0;
            for (int i = 0; i < 9; i++) {
                int at = packed.indexOf(SEPARATOR, from);
                if (at < 0) {
                    throw new IllegalStateException("a member row holds " + (i + 1) + " values, not 10");
                }
                v[i] = packed.substring(from, at);
                from = at + 1;
            }
            if (packed.indexOf(SEPARATOR, from) >= 0) {
                throw new IllegalStateException("a member row holds more than 10 values");
            }
            v[9] = packed.substring(from);
            return new MemberRow(v[0], v[1], Integer.parseInt(v[2]), v[3], Integer.parseInt(v[4]), v[5], v[6], v[7],
                    Long.parseLong(v[8]), Long.parseLong(v[9]));
        }

        /** @return the effective revision's time */
        java.time.Instant effectiveCreatedAt() {
            return java.time.Instant.ofEpochSecond(Math.floorDiv(effectiveMicros, 1_000_000L),
                    Math.floorMod(effectiveMicros, 1_000_000L) * 1_000L);
        }
    }

    /**
     * The members of rows of {@link #MEMBER_QUERY} (or {@link #OWN_PUBLISH_QUERY}), in the rows'
     * order: each distinct labels text is parsed once, and each distinct document is one instance,
     * taken from the rows ({@link #OWN_PUBLISH_QUERY}), else from the cache or, when the cache has
     * not kept it, fetched with the others missing in one statement (one row per distinct hash).
     */
    private static final class MemberRows {
        /*
         * The texts of missing hashes, each from one member that has it, by primary key (no index on
         * content hashes is needed). A hash is a text, so any row that has it will do; the hash in
         * the join keeps an effective row that changed meanwhile from answering for another hash.
         */
        private static final String DOCUMENTS = """
                SELECT r.content_hash AS hash, r.document
                FROM jsonb_to_recordset(?::jsonb) AS k(id text, version integer, hash text)
                JOIN config_revisions r ON r.collector_id = k.id AND r.version = k.version AND r.content_hash = k.hash
                UNION ALL
                SELECT e.content_hash, e.document
                FROM jsonb_to_recordset(?::jsonb) AS k(id text, hash text)
                JOIN effective_configs e ON e.collector_id = k.id AND e.content_hash = k.hash""";

        private final List<DbRow> rows;
        private final List<MemberRow> members;
        private final Map<String, ConfigDocument> documents = new java.util.HashMap<>();
        private final Map<String, Map<String, String>> labels = new java.util.HashMap<>();

        MemberRows(DbExecute exec, DocumentCache cache, List<DbRow> rows, boolean withDocuments) {
            this(exec, cache, rows, rows.stream().map(MemberRow::of).toList(), withDocuments);
        }

        MemberRows(DbExecute exec, DocumentCache cache, List<DbRow> rows, List<MemberRow> members, boolean withDocuments) {
            this.rows = rows;
            this.members = members;
            if (withDocuments) {
                for (int i = 0; i < rows.size(); i++) {
                    DbRow r = rows.get(i);
                    MemberRow m = members.get(i);
                    if (m.ownVersion() != 0) {
                        documents.computeIfAbsent(m.ownHash(), h -> new ConfigDocument(Rows.text(r, "own_document")));
                    }
                    if (m.effectiveRevision() != 0) {
                        documents.computeIfAbsent(m.effectiveHash(), h -> new ConfigDocument(Rows.text(r, "e_document")));
                    }
                }
                return;
            }
            jakarta.json.JsonArrayBuilder own = CollectorPersistenceAdapter.JSON.createArrayBuilder();
            jakarta.json.JsonArrayBuilder effective = CollectorPersistenceAdapter.JSON.createArrayBuilder();
            java.util.Set<String> missing = new java.util.HashSet<>();
            for (MemberRow m : members) {
                if (m.ownVersion() != 0 && lacks(cache, m.ownHash(), missing)) {
                    own.add(CollectorPersistenceAdapter.JSON.createObjectBuilder().add("id", m.id())
                            .add("version", m.ownVersion()).add("hash", m.ownHash()));
                }
                if (m.effectiveRevision() != 0 && lacks(cache, m.effectiveHash(), missing)) {
                    effective.add(CollectorPersistenceAdapter.JSON.createObjectBuilder().add("id", m.id())
                            .add("hash", m.effectiveHash()));
                }
            }
            if (!missing.isEmpty()) {
                List<DbRow> fetched = exec.query(DOCUMENTS, own.build().toString(), effective.build().toString()).toList();
                for (DbRow f : fetched) {
                    ConfigDocument d = new ConfigDocument(Rows.text(f, "document"));
                    documents.put(Rows.text(f, "hash"), d);
                    cache.put(Rows.text(f, "hash"), d);
                }
                cache.fetched(fetched.size());
            }
        }

        /**
         * Whether a hash's document is still to be fetched: not seen in these rows, not cached.
         * Takes a cached one for these rows (the cache may evict it before they are mapped).
         */
        private boolean lacks(DocumentCache cache, String hash, java.util.Set<String> missing) {
            if (documents.containsKey(hash) || missing.contains(hash)) {
                return false;
            }
            Optional<ConfigDocument> cached = cache.get(hash);
            if (cached.isPresent()) {
                documents.put(hash, cached.get());
                return false;
            }
            return missing.add(hash);
        }

        List<LayerMember> members() {
            return members.stream().map(this::member).toList();
        }

        List<OwnPublishTarget> targets() {
            List<OwnPublishTarget> out = new java.util.ArrayList<>(rows.size());
            for (int i = 0; i < rows.size(); i++) {
                out.add(target(rows.get(i), members.get(i)));
            }
            return out;
        }

        private LayerMember member(MemberRow m) {
            CollectorId id = CollectorId.of(m.id());
            Optional<OwnLayer> own = m.ownVersion() == 0 ? Optional.empty()
                    : Optional.of(new OwnLayer(new ConfigVersion(m.ownVersion()), document(m.ownHash()),
                            new ContentHash(m.ownHash())));
            Optional<EffectiveRevision> eff = m.effectiveRevision() == 0 ? Optional.empty()
                    : Optional.of(new EffectiveRevision(id, new ConfigVersion(m.effectiveRevision()),
                            document(m.effectiveHash()), new ContentHash(m.effectiveHash()), m.effectiveSha256().strip(),
                            sources(m.sources()), m.effectiveCreatedAt(), m.silenceSeconds()));
            return new LayerMember(id, labels.computeIfAbsent(m.labels(), CollectorPersistenceAdapter::labels), own, eff);
        }

        /** A row of {@link #OWN_PUBLISH_QUERY}: the member, and its own latest revision in full. */
        private OwnPublishTarget target(DbRow r, MemberRow m) {
            LayerMember member = member(m);
            return new OwnPublishTarget(member, member.own().map(o -> new ConfigRevision(member.id(), o.version(),
                    o.document(), o.hash(), Rows.instant(r, "own_created_at"), Rows.text(r, "own_created_by"),
                    Rows.text(r, "own_message"), RevisionSource.parse(Rows.text(r, "own_source")))));
        }

        private ConfigDocument document(String hash) {
            ConfigDocument d = documents.get(hash);
            if (d == null) {
                throw new IllegalStateException("the text of document " + hash + " could not be read");
            }
            return d;
        }
    }

    /** How many effective revisions (and announcements) one statement writes. */
    static final int BATCH = 2000;

    /** The transaction's view; effective revisions are buffered and written in batches before commit. */
    static class Tx implements LayerStorePort.Transaction {
        /** The transaction, for subclasses that read and write more in it. */
        protected final DbTransaction tx;
        // The instance's documents by hash, for member reads (and kept from the revisions this change writes).
        private final DocumentCache documents;
        private final List<EffectiveRevision> pending = new java.util.ArrayList<>();
        private final List<String> announcements = new java.util.ArrayList<>();
        private final List<String> sourceChanges = new java.util.ArrayList<>();
        // Whether the change announced any new revision (then its last statement sends the lag probe).
        private boolean announced;

        /*
         * One statement per batch writes the batch's effective revisions and sends the batch's
         * announcements. The rows: a plain UPDATE of the existing rows (an upsert would lock each row
         * once more before updating it); a document whose content is unchanged (a change of sources
         * only) keeps its stored value, so nothing of it is written again. Collectors without a row
         * get one (every writer holds the collector's row lock, so no other transaction inserts it
         * meanwhile; the ON CONFLICT clause keeps the statement correct should that ever change).
         * Data-modifying WITH clauses run to completion whatever the query after them reads; that
         * query sends one notification per announced collector on each channel (the payload servers
         * of the previous release understand, which a rolling upgrade needs), delivered to every
         * instance's LISTEN connection when, and only if, the transaction commits.
         */
        private static final String EFFECTIVE_WRITE = """
                WITH v AS (
                    SELECT * FROM jsonb_to_recordset(?::jsonb) AS v(i integer, document text, content_hash text,
                        effective_sha256 text, sources text, pull_interval_s integer)),
                x AS (
                    SELECT r.collector_id, r.revision, v.document, v.content_hash,
                        NULLIF(v.effective_sha256, '') AS effective_sha256, v.sources, r.created_at,
                        NULLIF(v.pull_interval_s, 0) AS pull_interval_s
                    FROM unnest(string_to_array(?, ','), string_to_array(?, ',')::integer[],
                        string_to_array(?, ',')::integer[], string_to_array(?, ',')::timestamptz[])
                        AS r(collector_id, revision, variant, created_at)
                    JOIN v ON v.i = r.variant),
                updated AS (
                    UPDATE effective_configs e SET revision = x.revision,
                        document = CASE WHEN e.content_hash = x.content_hash THEN e.document ELSE x.document END,
                        content_hash = x.content_hash, effective_sha256 = x.effective_sha256, sources = x.sources,
                        created_at = x.created_at, pull_interval_s = x.pull_interval_s
                    FROM x WHERE e.collector_id = x.collector_id
                    RETURNING e.collector_id),
                inserted AS (
                    INSERT INTO effective_configs (collector_id, revision, document, content_hash, effective_sha256,
                        sources, created_at, pull_interval_s)
                    SELECT x.collector_id, x.revision, x.document, x.content_hash, x.effective_sha256, x.sources,
                        x.created_at, x.pull_interval_s
                    FROM x WHERE NOT EXISTS (SELECT 1 FROM updated u WHERE u.collector_id = x.collector_id)
                    ON CONFLICT (collector_id) DO UPDATE SET revision = EXCLUDED.revision, document = EXCLUDED.document,
                        content_hash = EXCLUDED.content_hash, effective_sha256 = EXCLUDED.effective_sha256,
                        sources = EXCLUDED.sources, created_at = EXCLUDED.created_at,
                        pull_interval_s = EXCLUDED.pull_interval_s)
                SELECT pg_notify(?, p) IS NULL AS sent FROM jsonb_array_elements_text(?::jsonb) AS p
                UNION ALL
                SELECT pg_notify(?, p) IS NULL FROM jsonb_array_elements_text(?::jsonb) AS p""";

        /**
         * {@link #EFFECTIVE_WRITE} that also sends the transaction's one lag probe, after every
         * announcement of the change (the last batch's statement).
         */
        private static final String EFFECTIVE_WRITE_LAST = EFFECTIVE_WRITE
                + "\nUNION ALL SELECT " + PostgresChangeFeed.SENT_AT_NOTIFY;

        Tx(DbTransaction tx, DocumentCache documents) {
            this.tx = tx;
            this.documents = documents;
        }

        private MemberRows memberRows(List<DbRow> rows) {
            return new MemberRows(tx, documents, rows, false);
        }

        private MemberRows publishRows(List<DbRow> rows) {
            return new MemberRows(tx, documents, rows, true);
        }

        @Override
        public void lockLayers() {
            tx.get("SELECT pg_advisory_xact_lock(?) IS NULL AS locked", LAYERS_LOCK);
        }

        @Override
        public void lockLayersShared() {
            tx.get("SELECT pg_advisory_xact_lock_shared(?) IS NULL AS locked", LAYERS_LOCK);
        }

        @Override
        public Optional<LayerRevision> latestLayer(LayerId layer) {
            return LayerPersistenceAdapter.latestLayer(tx, layer);
        }

        @Override
        public Optional<LayerRevision> layerVersion(LayerId layer, ConfigVersion version) {
            return LayerPersistenceAdapter.layerVersion(tx, layer, version);
        }

        @Override
        public Map<GroupId, LayerRevision> latestGroupLayers() {
            Map<GroupId, LayerRevision> out = new LinkedHashMap<>();
            tx.query("SELECT r.layer, r.version, r.document, r.content_hash, r.created_at, r.created_by, r.message, r.source"
                            + " FROM config_layers l JOIN layer_revisions r ON r.layer = l.layer AND r.version = l.latest_version"
                            + " JOIN config_groups g ON 'group/' || g.id = l.layer AND g.deleted_at IS NULL")
                    .map(LayerPersistenceAdapter::layerRevision)
                    .forEach(r -> out.put(((LayerId.Group) r.layer()).id(), r));
            return out;
        }

        /*
         * The shared layers in one round trip (they were four statements): each row says what it is;
         * layer versions fill the layer columns, groups their id (as layer), priority (as version),
         * selector and description. Groups in id order, staged versions in rollout order.
         */
        private static final String SHARED_LAYERS = """
                SELECT 1 AS kind, 0::bigint AS rollout, r.layer, r.version, r.document, r.content_hash, r.created_at,
                       r.created_by, r.message, r.source, '' AS selector, '' AS description
                FROM layer_revisions r JOIN config_layers l ON l.layer = r.layer AND r.version = l.latest_version
                WHERE r.layer = 'fleet'
                UNION ALL
                SELECT 2, 0, g.id, g.priority, '', '', NULL, '', '', '', g.selector::text, g.description
                FROM config_groups g WHERE g.deleted_at IS NULL
                UNION ALL
                SELECT 3, 0, r.layer, r.version, r.document, r.content_hash, r.created_at, r.created_by, r.message,
                       r.source, '', ''
                FROM config_layers l JOIN layer_revisions r ON r.layer = l.layer AND r.version = l.latest_version
                JOIN config_groups g ON 'group/' || g.id = l.layer AND g.deleted_at IS NULL
                UNION ALL
                SELECT 4, o.id, r.layer, r.version, r.document, r.content_hash, r.created_at, r.created_by, r.message,
                       r.source, '', ''
                FROM rollouts o JOIN layer_revisions r ON r.layer = o.layer AND r.version = o.staged_version
                WHERE o.state IN ('running', 'paused')
                ORDER BY kind, rollout, layer""";

        @Override
        public SharedLayers sharedLayers() {
            Optional<LayerRevision> fleet = Optional.empty();
            List<Group> groups = new java.util.ArrayList<>();
            Map<GroupId, LayerRevision> groupLayers = new LinkedHashMap<>();
            List<Map.Entry<Long, LayerRevision>> staged = new java.util.ArrayList<>();
            for (DbRow row : tx.query(SHARED_LAYERS).toList()) {
                switch (Rows.integer(row, "kind")) {
                    case 1 -> fleet = Optional.of(layerRevision(row));
                    case 2 -> groups.add(new Group(new GroupId(Rows.text(row, "layer")),
                            new LabelSelector(CollectorPersistenceAdapter.labels(Rows.text(row, "selector"))),
                            Rows.integer(row, "version"), Rows.text(row, "description")));
                    case 3 -> {
                        LayerRevision r = layerRevision(row);
                        groupLayers.put(((LayerId.Group) r.layer()).id(), r);
                    }
                    default -> staged.add(Map.entry(((Number) row.column("rollout").get()).longValue(),
                            layerRevision(row)));
                }
            }
            // Who receives each staged version: one statement per active rollout (none most of the time).
            List<StagedLayer> stagings = staged.stream()
                    .map(e -> new StagedLayer(e.getValue(), receivers(e.getKey()), e.getKey())).toList();
            return new SharedLayers(fleet, groups, groupLayers, stagings);
        }

        @Override
        public List<StagedLayer> stagings() {
            List<StagedLayer> out = new java.util.ArrayList<>();
            tx.query("SELECT o.id, r.layer, r.version, r.document, r.content_hash, r.created_at, r.created_by, r.message,"
                            + " r.source FROM rollouts o JOIN layer_revisions r ON r.layer = o.layer"
                            + " AND r.version = o.staged_version WHERE o.state IN ('running', 'paused') ORDER BY o.id")
                    .forEach(row -> {
                        long id = ((Number) row.column("id").get()).longValue();
                        out.add(new StagedLayer(layerRevision(row), receivers(id), id));
                    });
            return out;
        }

        private java.util.Set<CollectorId> receivers(long rollout) {
            return tx.query("SELECT m.collector_id FROM rollout_members m JOIN rollouts o ON o.id = m.rollout_id"
                            + " WHERE m.rollout_id = ? AND NOT m.skipped AND m.wave < o.started_waves", rollout)
                    .map(r -> CollectorId.of(Rows.text(r, "collector_id")))
                    .collect(java.util.stream.Collectors.toSet());
        }

        @Override
        public List<Group> groups() {
            return LayerPersistenceAdapter.groups(tx);
        }

        @Override
        public boolean groupIdTaken(GroupId id) {
            return tx.get("SELECT 1 AS taken FROM config_groups WHERE id = ?", id.value()).isPresent();
        }

        @Override
        public List<CollectorId> lockMemberIds(List<LabelSelector> anyOf) {
            if (anyOf.isEmpty()) {
                return List.of();
            }
            StringBuilder where = new StringBuilder("(");
            Object[] params = new Object[anyOf.size()];
            for (int i = 0; i < anyOf.size(); i++) {
                where.append(i == 0 ? "" : " OR ").append("c.labels @> ?::jsonb");
                params[i] = CollectorPersistenceAdapter.json(anyOf.get(i).labels());
            }
            where.append(")");
            // Lock first, read after: a row lock waited for re-checks only the locked row, so one
            // statement that locked and joined could return another transaction's superseded
            // own and effective versions. The second statement sees everything committed before it.
            return tx.query("SELECT c.id FROM collectors c WHERE c.decommissioned_at IS NULL AND " + where
                    + " ORDER BY c.id FOR UPDATE", params).map(row -> CollectorId.of(Rows.text(row, "id"))).toList();
        }

        @Override
        public List<LayerMember> readMembers(List<CollectorId> ids) {
            if (ids.isEmpty()) {
                return List.of();
            }
            jakarta.json.JsonArrayBuilder list = CollectorPersistenceAdapter.JSON.createArrayBuilder();
            ids.forEach(id -> list.add(id.value()));
            return memberRows(tx.query(MEMBER_QUERY + " c.id IN (SELECT jsonb_array_elements_text(?::jsonb)) ORDER BY c.id",
                    list.build().toString()).toList()).members();
        }

        @Override
        public List<LayerMember> lockIncomplete(String afterId, int limit) {
            java.util.Set<String> locked = new java.util.HashSet<>();
            tx.query("SELECT c.id FROM collectors c JOIN effective_configs e ON e.collector_id = c.id"
                    + " WHERE c.decommissioned_at IS NULL AND e.effective_sha256 IS NULL AND c.id > ?"
                    + " ORDER BY c.id LIMIT ? FOR UPDATE OF c", afterId, limit)
                    .forEach(row -> locked.add(Rows.text(row, "id")));
            if (locked.isEmpty()) {
                return List.of();
            }
            String last = locked.stream().max(String::compareTo).orElseThrow();
            // Read after locking (see lockMembers); another change may have completed some meanwhile.
            List<DbRow> rows = new java.util.ArrayList<>();
            List<MemberRow> members = new java.util.ArrayList<>();
            tx.query(MEMBER_QUERY + " c.id > ? AND c.id <= ? ORDER BY c.id", afterId, last).forEach(row -> {
                MemberRow m = MemberRow.of(row);
                if (locked.contains(m.id())) {
                    rows.add(row);
                    members.add(m);
                }
            });
            return new MemberRows(tx, documents, rows, members, false).members();
        }

        @Override
        public Map<CollectorId, MemberFacts> memberFacts(List<CollectorId> ids) {
            Map<CollectorId, MemberFacts> out = new java.util.HashMap<>();
            for (int from = 0; from < ids.size(); from += BATCH) {
                List<CollectorId> slice = ids.subList(from, Math.min(ids.size(), from + BATCH));
                tx.query("""
                                SELECT collector_id, facts::text AS facts, coalesce(allow_lists::text, '') AS allow_lists,
                                       agent_version
                                FROM collector_status WHERE facts IS NOT NULL
                                  AND collector_id IN (SELECT jsonb_array_elements_text(?::jsonb))""",
                        CollectorPersistenceAdapter.JSON.createArrayBuilder(slice.stream().map(CollectorId::value).toList()).build()
                                .toString())
                        .forEach(r -> FactsJson.facts(Rows.text(r, "facts")).ifPresent(f -> out.put(
                                CollectorId.of(Rows.text(r, "collector_id")), new MemberFacts(f,
                                        FactsJson.allowances(Rows.text(r, "allow_lists")), Rows.text(r, "agent_version")))));
            }
            return out;
        }

        @Override
        public void saveCapabilityGaps(Map<CollectorId, List<CapabilityGap>> gaps) {
            List<Map.Entry<CollectorId, List<CapabilityGap>>> all = List.copyOf(gaps.entrySet());
            for (int from = 0; from < all.size(); from += BATCH) {
                jakarta.json.JsonArrayBuilder rows = CollectorPersistenceAdapter.JSON.createArrayBuilder();
                all.subList(from, Math.min(all.size(), from + BATCH)).forEach(e -> rows.add(CollectorPersistenceAdapter.JSON
                        .createObjectBuilder().add("id", e.getKey().value()).add("gaps", FactsJson.gaps(e.getValue()))));
                tx.dml("""
                        UPDATE collector_status s SET capability_gaps = x.gaps::jsonb
                        FROM jsonb_to_recordset(?::jsonb) AS x(id text, gaps text)
                        WHERE s.collector_id = x.id""", rows.build().toString());
            }
        }

        @Override
        public Optional<LayerMember> lockMember(CollectorId id) {
            if (tx.get("SELECT id FROM collectors WHERE id = ? AND decommissioned_at IS NULL FOR UPDATE", id.value())
                    .isEmpty()) {
                return Optional.empty();
            }
            return tx.get(MEMBER_QUERY + " c.id = ?", id.value()).map(row -> memberRows(List.of(row)).members().get(0));
        }

        @Override
        public Optional<Instant> decommissionedAt(CollectorId id) {
            return tx.get("SELECT decommissioned_at FROM collectors WHERE id = ? AND decommissioned_at IS NOT NULL",
                    id.value()).map(r -> Rows.instant(r, "decommissioned_at"));
        }

        @Override
        public void insertLayer(LayerRevision r) {
            insert(r, true);
        }

        /** Stores a version after the layer's highest (a staged version is higher than the current one). */
        void insertVersion(LayerRevision r) {
            insert(r, false);
        }

        /**
         * Stores a layer version in one statement (one round trip, not five): the layer's row, created
         * when the layer is new and locked either way; the check that the version follows the highest
         * stored; the version; and, when it becomes the current one, the layer's current version.
         * A version that does not follow fails the statement, and the caller's transaction with it.
         */
        private void insert(LayerRevision r, boolean current) {
            String layer = r.layer().label();
            int version = r.version().value();
            boolean stored = tx.get("""
                    WITH l AS (
                        INSERT INTO config_layers AS c (layer, latest_version) VALUES (?, ?)
                        ON CONFLICT (layer) DO UPDATE SET latest_version =
                            CASE WHEN ?::boolean THEN EXCLUDED.latest_version ELSE c.latest_version END
                        RETURNING c.layer),
                    h AS (SELECT coalesce(max(version), 0) AS highest FROM layer_revisions WHERE layer = ?)
                    INSERT INTO layer_revisions (""" + LAYER_COLUMNS + """
                    )
                    SELECT l.layer, ?, ?, ?, ?, ?, ?, ? FROM l, h WHERE h.highest + 1 = ?
                    RETURNING version""",
                    layer, current ? version : 0, current, layer,
                    version, r.document().text(), r.hash().hex(), Rows.timestamp(r.createdAt()), r.createdBy(),
                    r.message(), r.source().label(), version).isPresent();
            if (!stored) {
                throw new IllegalStateException("layer version " + r.version() + " of " + layer
                        + " does not follow the highest stored");
            }
        }

        @Override
        public void insertOwn(ConfigRevision r) {
            ConfigRevisionPersistenceAdapter.insertVersion(tx, r);
        }

        @Override
        public void insertOwn(ConfigRevision r, AuditEntry audit) {
            ConfigRevisionPersistenceAdapter.insertVersion(tx, r, audit);
        }

        @Override
        public void insertOwn(List<LayerStorePort.OwnVersion> versions) {
            ConfigRevisionPersistenceAdapter.insertVersions(tx, versions);
        }

        @Override
        public List<OwnPublishTarget> lockCollectors(List<CollectorId> ids) {
            if (ids.size() == 1) {
                if (tx.get("SELECT id FROM collectors WHERE id = ? AND decommissioned_at IS NULL FOR UPDATE",
                        ids.get(0).value()).isEmpty()) {
                    return List.of();
                }
                return tx.get(OWN_PUBLISH_QUERY + " c.id = ?", ids.get(0).value())
                        .map(row -> publishRows(List.of(row)).targets()).orElse(List.of());
            }
            // Locked in id order by one statement, read after by another (see lockMemberIds). A publish
            // batch names a few collectors: "= ANY" of an array lets the planner look each up by key,
            // where a set-returning function (estimated at 100 rows) made it scan collectors and
            // effective_configs whole on every batch (docs/benchmarks.md, "Where a spread publish's CPU goes").
            String list = commaSeparated(ids);
            List<CollectorId> locked = tx.query("SELECT id FROM collectors WHERE decommissioned_at IS NULL"
                            + " AND id = ANY(string_to_array(?, ',')) ORDER BY id FOR UPDATE", list)
                    .map(row -> CollectorId.of(Rows.text(row, "id"))).toList();
            if (locked.isEmpty()) {
                return List.of();
            }
            // The array through a sub-select: the planner cannot see it, so one generic plan serves every
            // batch (with the array in sight it planned this join anew on every call, 0.3 ms each).
            return publishRows(tx.query(OWN_PUBLISH_QUERY + " c.id = ANY((SELECT string_to_array(?, ','))::text[])"
                    + " ORDER BY c.id", commaSeparated(locked)).toList()).targets();
        }

        /** Collector ids joined by commas (ids are letters, digits, '.', '_' and '-'). */
        private static String commaSeparated(List<CollectorId> ids) {
            StringBuilder out = new StringBuilder(ids.size() * 16);
            for (CollectorId id : ids) {
                out.append(out.isEmpty() ? "" : ",").append(id.value());
            }
            return out.toString();
        }

        @Override
        public void saveGroup(Group g, Instant at) {
            tx.dml("""
                    INSERT INTO config_groups (id, selector, priority, description, created_at, updated_at)
                    VALUES (?, ?::jsonb, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET selector = EXCLUDED.selector, priority = EXCLUDED.priority,
                        description = EXCLUDED.description, updated_at = EXCLUDED.updated_at""",
                    g.id().value(), CollectorPersistenceAdapter.json(g.selector().labels()), g.priority(), g.description(),
                    Rows.timestamp(at), Rows.timestamp(at));
        }

        @Override
        public void deleteGroup(GroupId id, Instant at) {
            tx.update("UPDATE config_groups SET deleted_at = ? WHERE id = ?", Rows.timestamp(at), id.value());
        }

        @Override
        public void saveLabels(CollectorId id, Map<String, String> labels) {
            tx.update("UPDATE collectors SET labels = ?::jsonb WHERE id = ?", CollectorPersistenceAdapter.json(labels),
                    id.value());
        }

        @Override
        public void decommission(CollectorId id, Instant at) {
            tx.update("UPDATE collectors SET decommissioned_at = ?, revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                    Rows.timestamp(at), Rows.timestamp(at), id.value());
            // In the same transaction, so no refresh token outlives the decommission if the server
            // stops right after it. Its unused enrolment tokens are left to expire: a registration
            // refuses them, and deleting them here would lock the token rows after the collector's
            // row, the reverse of a registration's order.
            TokenPersistenceAdapter.lockSessionsOf(tx, "collector", id.value());
            tx.update("UPDATE refresh_tokens SET revoked_at = ? WHERE subject_kind = 'collector' AND subject = ?"
                    + " AND revoked_at IS NULL", Rows.timestamp(at), id.value());
            PostgresChangeFeed.announcePrincipal(tx, id.value());
        }

        @Override
        public void saveEffective(EffectiveRevision e, boolean announce) {
            if (pending.size() == BATCH) {
                // A full batch is written when the next revision arrives, so the last batch, written
                // at commit, is never empty and carries the lag probe.
                write(EFFECTIVE_WRITE);
            }
            pending.add(e);
            // Its document is what the next change reads of this collector (kept even if this one rolls back: a hash is a text).
            documents.put(e.hash().hex(), e.document());
            if (announce) {
                announcements.add(e.collectorId().value() + ":" + e.revision().value());
                announced = true;
            } else {
                sourceChanges.add(e.collectorId().value() + ":" + e.revision().value());
            }
        }

        /** Writes what is buffered before commit: the last batch, with the lag probe if the change announced any revision. */
        void flush() {
            if (!pending.isEmpty()) {
                write(announced ? EFFECTIVE_WRITE_LAST : EFFECTIVE_WRITE);
            }
        }

        /**
         * Writes the buffered effective revisions and sends their announcements, in one statement.
         * What collectors sharing a composition have in common (document, hashes, sources, pull
         * interval) is sent once per distinct value; each collector adds only its id, revision,
         * which of those it has, and its time. A change reaching thousands of collectors of a few
         * distinct documents so sends and parses a few bytes per collector instead of a JSON object
         * each (ids are letters, digits, '.', '_' and '-', so a comma separates them).
         */
        private void write(String statement) {
            Map<Variant, Integer> variants = new LinkedHashMap<>();
            StringBuilder ids = new StringBuilder(pending.size() * 16);
            StringBuilder revisions = new StringBuilder(pending.size() * 4);
            StringBuilder which = new StringBuilder(pending.size() * 3);
            StringBuilder times = new StringBuilder(pending.size() * 28);
            Map<Instant, String> timeText = new java.util.HashMap<>();
            for (EffectiveRevision e : pending) {
                int v = variants.computeIfAbsent(new Variant(e.document().text(), e.hash().hex(), e.effectiveSha256(),
                        String.join(", ", e.sources()), e.silenceSeconds()), k -> variants.size());
                String sep = ids.isEmpty() ? "" : ",";
                ids.append(sep).append(e.collectorId().value());
                revisions.append(sep).append(e.revision().value());
                which.append(sep).append(v);
                times.append(sep).append(timeText.computeIfAbsent(e.createdAt(), Instant::toString));
            }
            jakarta.json.JsonArrayBuilder shared = CollectorPersistenceAdapter.JSON.createArrayBuilder();
            variants.forEach((v, i) -> shared.add(CollectorPersistenceAdapter.JSON.createObjectBuilder()
                    .add("i", i)
                    .add("document", v.document())
                    .add("content_hash", v.hash())
                    .add("effective_sha256", v.effectiveSha256())
                    .add("sources", v.sources())
                    .add("pull_interval_s", v.silenceSeconds())));
            tx.query(statement, shared.build().toString(), ids.toString(), revisions.toString(), which.toString(),
                    times.toString(), EFFECTIVE_CHANNEL, jsonArray(announcements), SOURCES_CHANNEL,
                    jsonArray(sourceChanges)).forEach(row -> { });
            pending.clear();
            announcements.clear();
            sourceChanges.clear();
        }

        private static String jsonArray(List<String> texts) {
            jakarta.json.JsonArrayBuilder array = CollectorPersistenceAdapter.JSON.createArrayBuilder();
            texts.forEach(array::add);
            return array.build().toString();
        }

        /** What collectors sharing a composition store alike: sent once per statement. */
        private record Variant(String document, String hash, String effectiveSha256, String sources,
                               long silenceSeconds) {
        }

        @Override
        public void audit(AuditEntry entry) {
            AuditPersistenceAdapter.insert(tx, entry);
        }
    }
}
