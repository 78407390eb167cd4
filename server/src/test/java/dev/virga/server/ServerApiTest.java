package dev.virga.server;

import static dev.virga.server.ControlPlane.errorShape;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.virga.api.Event;
import dev.virga.api.Image;
import dev.virga.api.InstanceState;
import dev.virga.api.LaunchRequest;
import dev.virga.api.OperationStatus;
import dev.virga.api.Sizes;
import dev.virga.api.StateChange;
import dev.virga.client.ApiException;
import dev.virga.client.Json;
import dev.virga.client.VirgaClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The public API of a whole server, driven through HTTP and {@link VirgaClient}, with a fake agent as host. */
@Timeout(30)
class ServerApiTest {
    private ControlPlane plane;
    private VirgaClient client;

    @BeforeEach
    void startServer() throws Exception {
        plane = ControlPlane.start();
        client = plane.client();
    }

    @AfterEach
    void stopServer() {
        if (plane != null) {
            plane.close();
        }
    }

    @Test
    void execWithANullArgumentOrStdinThatIsNotBase64IsA400NamingTheField() throws Exception {
        plane.launched("vm1");

        var nullArg = errorShape(plane.http("POST", "/1.0/instances/vm1/exec", "{\"command\": [null]}"), 400);
        assertThat(nullArg.get("details").get("field").asText()).isEqualTo("command");
        var later = errorShape(plane.http("POST", "/1.0/instances/vm1/exec", "{\"command\": [\"echo\", null]}"),
                400);
        assertThat(later.get("error").asText()).isEqualTo("command: argument 1 is null; every argument is a string");
        var stdin = errorShape(plane.http("POST", "/1.0/instances/vm1/exec",
                "{\"command\": [\"cat\"], \"stdinBase64\": \"%%%\"}"), 400);
        assertThat(stdin.get("details").get("field").asText()).isEqualTo("stdinBase64");
        assertThat(stdin.get("error").asText()).startsWith("stdinBase64: not base64");
    }

    @Test
    void launchAnswers202WithTheOperationAndTheInstanceEndsRunningOnTheHost() throws Exception {
        var response = plane.http("POST", "/1.0/instances", "{\"name\": \"vm1\", \"image\": \"tiny\", \"cpus\": 2}");

        assertThat(response.statusCode()).isEqualTo(202);
        var location = response.headers().firstValue("Location").orElseThrow();
        assertThat(location).matches("/1\\.0/operations/[0-9a-f-]{36}");
        assertThat(Json.mapper().readTree(response.body()).get("operation").asText()).isEqualTo(location);

        var id = location.substring("/1.0/operations/".length());
        var done = client.waitFor(id, Duration.ofSeconds(10));
        assertThat(done.status()).as(done.error()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(done.kind()).isEqualTo("launch");
        assertThat(done.target()).isEqualTo("vm1");
        assertThat(done.result()).containsEntry("host", "local").containsEntry("accelerator", "tcg");
        plane.settle();

        var vm = client.instance("vm1");
        assertThat(vm.state()).isEqualTo(InstanceState.RUNNING);
        assertThat(vm.host()).isEqualTo("local");
        assertThat(vm.image()).isEqualTo("tiny");
        assertThat(vm.cpus()).isEqualTo(2);
        assertThat(vm.memoryBytes()).isEqualTo(256 * Sizes.MIB);
        assertThat(vm.diskBytes()).as("no disk given: the image's size").isEqualTo(FakeAgent.IMAGE_SIZE);
        assertThat(vm.guest().agentReady()).isTrue();
        assertThat(vm.guest().hostname()).isEqualTo("vm1");
        // what the host was asked to make
        assertThat(plane.agent.created).singleElement().satisfies(spec -> {
            assertThat(spec.imageFingerprint()).isEqualTo(FakeAgent.TINY.fingerprint());
            assertThat(spec.cpus()).isEqualTo(2);
            assertThat(spec.memoryBytes()).isEqualTo(256 * Sizes.MIB);
        });
        assertThat(client.instances()).extracting(i -> i.name()).containsExactly("vm1");
        assertThat(client.info().instances()).isEqualTo(1);
        assertThat(client.info().leader()).as("the only server on its store leads").isTrue();
        assertThat(client.info().leaderUrl()).isEqualTo(client.base().toString());
        assertThat(plane.event("operation-success", "vm1").details()).containsEntry("operation", id);
        assertThat(plane.event("instance-started", "vm1").details()).containsEntry("host", "local");
    }

    @Test
    void aLaunchedInstanceStaysRunningWhileTheHostKeepsReportingIt() {
        plane.launched("vm1");
        long before = client.events(0).getLast().id();
        var seen = client.hosts().getFirst().lastSeen();

        // a few reconcile passes later
        await().atMost(Duration.ofSeconds(5)).until(() -> client.hosts().getFirst().lastSeen().isAfter(seen));
        var passed = client.hosts().getFirst().lastSeen();
        await().atMost(Duration.ofSeconds(5)).until(() -> client.hosts().getFirst().lastSeen().isAfter(passed));

        assertThat(client.instance("vm1").state()).isEqualTo(InstanceState.RUNNING);
        assertThat(client.events(before)).extracting(Event::type).doesNotContain("instance-error");
    }

    @Test
    void theBuiltImageAndTheHostAreListed() {
        assertThat(client.images()).singleElement().satisfies(image -> {
            assertThat(image.name()).isEqualTo("tiny");
            assertThat(image.fingerprint()).isEqualTo(FakeAgent.TINY.fingerprint());
            assertThat(image.virtualSize()).isEqualTo(FakeAgent.IMAGE_SIZE);
            assertThat(image.source()).isEqualTo("built:tiny");
        });
        assertThat(client.hosts()).singleElement().satisfies(host -> {
            assertThat(host.name()).isEqualTo("local");
            assertThat(host.state()).isEqualTo("online");
            assertThat(host.cpus()).isEqualTo(4);
            assertThat(host.accelerator()).isEqualTo("tcg");
        });
        plane.launched("vm1");
        assertThat(client.image("tiny").usedBy()).isEqualTo(1);
    }

    @Test
    void aSecondLaunchOfTheSameNameIsAConflict() {
        var first = plane.launched("vm1");

        assertThatThrownBy(() -> client.launch(new LaunchRequest("vm1", "tiny", 4, "1G", null)))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(409))
                .hasMessage("instance 'vm1' already exists");

        var after = client.instance("vm1");
        assertThat(after.cpus()).isEqualTo(first.cpus());
        assertThat(after.state()).isEqualTo(InstanceState.RUNNING);
        assertThat(plane.agent.created).hasSize(1);
    }

    @Test
    void anOperationCanBeWaitedOnAndListed() {
        var op = client.launch(new LaunchRequest("vm1", "tiny", null, null, null));

        var done = client.waitFor(op.id(), Duration.ofSeconds(10));

        assertThat(done.status()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(client.operation(op.id())).isEqualTo(done);
        assertThat(client.operations()).extracting(o -> o.id()).first().isEqualTo(op.id());
        var json = errorShape(plane.http("DELETE", "/1.0/operations/" + op.id(), null), 409);
        assertThat(json.get("error").asText()).contains("already ended");
    }

    @Test
    void stopThenDeleteThroughTheApiLeavesNothingOnTheHost() {
        plane.launched("vm1");

        var refused = errorShape(plane.http("DELETE", "/1.0/instances/vm1", null), 409);
        assertThat(refused.get("error").asText()).contains("running").contains("force");

        var stopped = plane.ended(client.changeState("vm1", new StateChange("stop", false, 0)));
        assertThat(stopped.status()).as(stopped.error()).isEqualTo(OperationStatus.SUCCESS);
        plane.settle();
        assertThat(client.instance("vm1").state()).isEqualTo(InstanceState.STOPPED);
        var stopAgain = errorShape(plane.http("PUT", "/1.0/instances/vm1/state", "{\"action\": \"stop\"}"), 409);
        assertThat(stopAgain.get("details").get("state").asText()).isEqualTo("stopped");

        var deleted = plane.ended(client.delete("vm1", false));
        assertThat(deleted.status()).as(deleted.error()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(client.instances()).isEmpty();
        assertThat(plane.agent.has("vm1")).isFalse();
        assertThat(plane.agent.deleted).containsExactly("vm1");
        assertThat(client.events(0)).extracting(Event::type).contains("instance-stopped", "instance-deleted");
    }

    @Test
    void aStateChangeWithoutAKnownActionIsA400NamingAction() {
        plane.launched("vm1");

        var missing = errorShape(plane.http("PUT", "/1.0/instances/vm1/state", "{}"), 400);
        assertThat(missing.get("details").get("field").asText()).isEqualTo("action");
        var unknown = errorShape(plane.http("PUT", "/1.0/instances/vm1/state", "{\"action\": \"explode\"}"), 400);
        assertThat(unknown.get("error").asText()).contains("'explode'");
        assertThat(client.instance("vm1").state()).isEqualTo(InstanceState.RUNNING);
    }

    @Test
    void theEventStreamDeliversEventsAsTheyHappen() throws Exception {
        var received = new CompletableFuture<Event>();
        var follower = Thread.ofVirtual().start(() -> {
            try {
                client.followEvents(e -> e.type().equals("instance-started") && received.complete(e));
            } catch (RuntimeException e) {
                received.completeExceptionally(e);
            }
        });

        // the stream only carries what happens after it is open: launch until the follower has seen one
        var n = new int[] {0};
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!received.isDone()) {
                plane.launched("vm" + n[0]++);
            }
            return received.isDone();
        });

        var event = received.get(1, TimeUnit.SECONDS);
        assertThat(event.target()).startsWith("vm");
        assertThat(event.message()).contains("launched on local");
        assertThat(event.details()).containsEntry("host", "local");
        follower.join(Duration.ofSeconds(5));
        assertThat(follower.isAlive()).as("followEvents returns once its predicate accepts").isFalse();
    }

    @Test
    void anImageInUseCannotBeDeletedAndTheRefusalNamesItsUsers() {
        plane.launched("vm1");

        var refused = errorShape(plane.http("DELETE", "/1.0/images/tiny", null), 409);
        assertThat(refused.get("error").asText()).contains("vm1");
        assertThat(refused.get("details").get("instances").get(0).asText()).isEqualTo("vm1");
        assertThat(client.images()).extracting(Image::name).containsExactly("tiny");

        assertThat(plane.ended(client.delete("vm1", true)).status()).isEqualTo(OperationStatus.SUCCESS);
        client.deleteImage("tiny");
        assertThat(client.images()).isEmpty();
        var launch = errorShape(plane.http("POST", "/1.0/instances", "{\"name\": \"vm2\", \"image\": \"tiny\"}"), 404);
        assertThat(launch.get("error").asText()).isEqualTo("image 'tiny' not found");
    }
}
