package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** 100 publishes of distinct documents to one collector, all at once. */
class ConcurrentPublishIT {

    @Test
    void hundredParallelPublishesGetVersionsOneToHundred() throws Exception {
        TestDatabase database = TestPostgres.newDatabase();
        try (PgfleetServer server = PgfleetServer.start(ServerSettings.forDatabase(database.url(), database.user(),
                database.password(), Path.of("target", "it-data")).withWarmupRounds(0))) {
            ApiClient api = ApiClient.asAdmin(server.port());
            assertEquals(201, api.createCollector("busy").statusCode());

            CountDownLatch go = new CountDownLatch(1);
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 1; i <= 100; i++) {
                    String doc = aDocument().pushInterval(i).toml();
                    answers.add(pool.<HttpResponse<String>>submit(() -> {
                        go.await();
                        return api.putToml("/api/v1/config/busy", doc);
                    }));
                }
                go.countDown();
                TreeSet<Integer> versions = new TreeSet<>();
                for (Future<HttpResponse<String>> f : answers) {
                    HttpResponse<String> r = f.get();
                    assertEquals(201, r.statusCode(), r.body());
                    versions.add(Integer.parseInt(r.headers().firstValue("X-Config-Version").orElseThrow()));
                }
                assertEquals(IntStream.rangeClosed(1, 100).boxed().collect(Collectors.toCollection(TreeSet::new)), versions);
            }

            try (Connection c = database.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*), min(version), max(version), count(DISTINCT document)"
                         + " FROM config_revisions WHERE collector_id = 'busy'")) {
                rs.next();
                assertEquals(100, rs.getInt(1));
                assertEquals(1, rs.getInt(2));
                assertEquals(100, rs.getInt(3));
                assertEquals(100, rs.getInt(4));
            }
            assertEquals("100", api.get("/api/v1/config/busy").headers().firstValue("X-Config-Version").orElseThrow());
        }
    }
}
