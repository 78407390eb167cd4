package dev.virga.it;

import dev.virga.api.LaunchRequest;
import dev.virga.client.ApiException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Bad launches are refused with a status and a message naming the field, and leave nothing on disk or in the store. */
class BadInputIT {
    @TempDir
    static Path home;
    static VirgaUp virga;

    @BeforeAll
    static void up() throws Exception {
        virga = VirgaUp.withTinyImage(home);
    }

    @AfterAll
    static void down() throws Exception {
        virga.close();
    }

    static Stream<Arguments> badLaunches() {
        return Stream.of(
                Arguments.of(new LaunchRequest("", "tiny", null, null, null), 400, "name: must not be empty"),
                Arguments.of(new LaunchRequest("a".repeat(64), "tiny", null, null, null), 400, "at most 63"),
                Arguments.of(new LaunchRequest("../x", "tiny", null, null, null), 400, "name: '../x' is not a valid name"),
                Arguments.of(new LaunchRequest("two words", "tiny", null, null, null), 400, "name: 'two words'"),
                Arguments.of(new LaunchRequest("Upper", "tiny", null, null, null), 400, "lowercase"),
                Arguments.of(new LaunchRequest("vm-", "tiny", null, null, null), 400, "not ending with '-'"),
                Arguments.of(new LaunchRequest("ok", "tiny", null, "10M", null), 400, "memory: 10MiB is out of range"),
                Arguments.of(new LaunchRequest("ok", "tiny", null, "0", null), 400, "memory: 0B is out of range"),
                Arguments.of(new LaunchRequest("ok", "tiny", 0, null, null), 400, "cpus: 0 is out of range"),
                Arguments.of(new LaunchRequest("ok", "tiny", 1, "lots", null), 400, "memory: 'lots' is not a size"),
                Arguments.of(new LaunchRequest("ok", "tiny", 1, "99999G", null), 400, "memory:"),
                Arguments.of(new LaunchRequest("ok", "tiny", -1, null, null), 400, "cpus: -1 is out of range"),
                Arguments.of(new LaunchRequest("ok", "tiny", 500, null, null), 400, "cpus: 500 is out of range"),
                Arguments.of(new LaunchRequest("ok", "tiny", 1, null, "12 parsecs"), 400, "disk: '12 parsecs'"),
                Arguments.of(new LaunchRequest("ok", "tiny", 1, null, "1M"), 400, "disk: 1MiB is smaller than the image"),
                Arguments.of(new LaunchRequest("ok", "", 1, null, null), 400, "image: must not be empty"),
                Arguments.of(new LaunchRequest("ok", "nosuch", 1, null, null), 404, "image 'nosuch' not found"));
    }

    @ParameterizedTest
    @MethodSource("badLaunches")
    void launchIsRefusedAndNothingIsMade(LaunchRequest request, int status, String message) throws IOException {
        var e = catchThrowableOfType(ApiException.class, () -> virga.client().launch(request));
        assertThat(e.code()).isEqualTo(status);
        assertThat(e.getMessage()).contains(message);
        assertNothingMade();
    }

    @Test
    void malformedJsonIsA400NamingTheField() throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        var response = http.send(java.net.http.HttpRequest.newBuilder(virga.client().base().resolve("/1.0/instances"))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"name\": \"x\", \"cpus\": \"many\"}"))
                        .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("\"error\"").contains("cpus").contains("\"code\":400");
        assertNothingMade();
    }

    @Test
    void aFileIsNoBackupRepositoryAndAProgramTheGuestLacksIsTheCallersError() throws Exception {
        var file = virga.cli("backup", "repo", "add", "passwd", "/etc/passwd");
        assertThat(file.exit()).isEqualTo(1);
        assertThat(file.err()).contains("path: '/etc/passwd' is a file; a backup repository is a directory");
        assertThat(virga.client().backupRepos()).noneMatch(r -> r.name().equals("passwd"));

        var client = virga.client();
        client.await(client.launch(new LaunchRequest("ex", "tiny", null, null, null)), o -> { });
        var e = catchThrowableOfType(ApiException.class, () -> client.exec("ex",
                new dev.virga.api.ExecRequest(java.util.List.of("/no/such/program"), "", 0)));
        assertThat(e.code()).isEqualTo(400);
        assertThat(e.getMessage()).startsWith("command: the guest could not run /no/such/program")
                .contains("No such file or directory");
        assertThat(client.instance("ex").state().name()).isEqualTo("RUNNING");
        client.await(client.delete("ex", true), o -> { });
        assertNothingMade();
    }

    @Test
    void theCliExitsNonZeroWithTheServersMessage() throws Exception {
        var r = virga.cli("launch", "tiny", "Bad_Name");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).startsWith("Error: name: 'Bad_Name' is not a valid name");
        var unknown = virga.cli("info", "ghost");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).contains("instance 'ghost' not found");
        assertNothingMade();
    }

    @Test
    void aDuplicateNameIsAConflictAndTheFirstVmIsUntouched() throws Exception {
        var client = virga.client();
        client.await(client.launch(new LaunchRequest("dup", "tiny", null, null, null)), o -> { });
        var e = catchThrowableOfType(ApiException.class,
                () -> client.launch(new LaunchRequest("dup", "tiny", 2, "256M", null)));
        assertThat(e.code()).isEqualTo(409);
        assertThat(e.getMessage()).contains("instance 'dup' already exists");
        var dup = client.instance("dup");
        assertThat(dup.cpus()).isEqualTo(1);
        assertThat(dup.state().name()).isEqualTo("RUNNING");
        client.await(client.delete("dup", true), o -> { });
        assertNothingMade();
    }

    @Test
    void wrongStateChangesAreConflicts() throws Exception {
        var client = virga.client();
        client.await(client.launch(new LaunchRequest("st", "tiny", null, null, null)), o -> { });
        var e = catchThrowableOfType(ApiException.class,
                () -> client.changeState("st", new dev.virga.api.StateChange("start", false, 0)));
        assertThat(e.code()).isEqualTo(409);
        assertThat(e.getMessage()).contains("cannot start instance 'st': it is running");
        var bad = catchThrowableOfType(ApiException.class,
                () -> client.changeState("st", new dev.virga.api.StateChange("explode", false, 0)));
        assertThat(bad.code()).isEqualTo(400);
        assertThat(bad.getMessage()).contains("action: 'explode'");
        client.await(client.delete("st", true), o -> { });
    }

    @Test
    void anImageInUseCannotBeDeleted() throws Exception {
        var client = virga.client();
        client.await(client.launch(new LaunchRequest("user1", "tiny", null, null, null)), o -> { });
        var e = catchThrowableOfType(ApiException.class, () -> client.deleteImage("tiny"));
        assertThat(e.code()).isEqualTo(409);
        assertThat(e.getMessage()).contains("image 'tiny' is used by user1");
        assertThat(client.image("tiny").usedBy()).isEqualTo(1);
        client.await(client.delete("user1", true), o -> { });
    }

    private static void assertNothingMade() throws IOException {
        assertThat(virga.client().instances()).isEmpty();
        try (var dirs = Files.list(home.resolve("instances"))) {
            assertThat(dirs.toList()).isEmpty();
        }
        assertThat(virga.qemus()).isEmpty();
    }
}
