package dev.virga.agent.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.virga.api.ExecRequest;
import dev.virga.api.Sizes;
import dev.virga.api.agent.StopSpec;
import dev.virga.api.agent.VmPower;
import dev.virga.api.agent.VmSpec;
import dev.virga.client.AgentClient;
import dev.virga.client.ApiException;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The simulated hosts through the control plane's own agent client, each under its path prefix. */
class SimulatedHostsTest {
    private SimulatedHosts sim;
    private List<SimulatedHosts.Member> members;

    @BeforeEach
    void start() {
        sim = SimulatedHosts.start(new SimulatedHosts.Config("sim", 3, 8, 32 * Sizes.GIB, "127.0.0.1", 0));
        members = sim.members();
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private AgentClient agent(int i) {
        var m = members.get(i);
        return new AgentClient(m.url(), m.agentToken());
    }

    @Test
    void eachHostReportsItselfAsSimulatedUnderItsOwnPrefix() {
        assertThat(members).extracting(SimulatedHosts.Member::name).containsExactly("sim-00001", "sim-00002",
                "sim-00003");
        assertThat(members.get(1).url().getPath()).isEqualTo("/sim/sim-00002");
        var report = agent(1).report();
        assertThat(report.name()).isEqualTo("sim-00002");
        assertThat(report.cpus()).isEqualTo(8);
        assertThat(report.memoryBytes()).isEqualTo(32 * Sizes.GIB);
        assertThat(report.accelerator()).isEqualTo("simulated");
        assertThat(report.acceleratorReason()).contains("test and planning tool");
        assertThat(sim.reportsAnswered()).isEqualTo(1);
    }

    @Test
    void vmsLiveOnTheirOwnHostAndChangeStateAtOnce() {
        var fingerprint = agent(0).buildImage("tiny").fingerprint();
        var created = agent(0).create(VmSpec.fromImage("vm1", fingerprint, 2, 512 * Sizes.MIB, 256 * Sizes.MIB));
        assertThat(created.power()).isEqualTo(VmPower.RUNNING);
        assertThat(created.guest().agentReady()).isTrue();
        assertThat(agent(0).report().instances()).extracting(s -> s.name()).containsExactly("vm1");
        assertThat(agent(1).report().instances()).isEmpty();

        var stopped = agent(0).stop("vm1", new StopSpec(false, 30));
        assertThat(stopped.power()).isEqualTo(VmPower.STOPPED);
        assertThat(stopped.reason()).isEqualTo("stopped by request");
        assertThat(agent(0).start("vm1").power()).isEqualTo(VmPower.RUNNING);
        assertThat(agent(0).pause("vm1").power()).isEqualTo(VmPower.PAUSED);
        assertThat(agent(0).resume("vm1").power()).isEqualTo(VmPower.RUNNING);
        agent(0).delete("vm1");
        assertThat(agent(0).report().instances()).isEmpty();
        assertThat(sim.vmsByHost()).containsEntry("sim-00001", 0);
    }

    @Test
    void refusesWhatARealHostWouldRefuseAndSaysWhatIsNotSimulated() {
        var fingerprint = agent(2).buildImage("tiny").fingerprint();
        agent(2).create(VmSpec.fromImage("vm1", fingerprint, 1, 256 * Sizes.MIB, 256 * Sizes.MIB));
        assertThatThrownBy(() -> agent(2).create(VmSpec.fromImage("vm1", fingerprint, 1, 256 * Sizes.MIB, 0)))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(409));
        assertThatThrownBy(() -> agent(2).create(VmSpec.fromImage("vm2", "ff".repeat(32), 1, 256 * Sizes.MIB, 0)))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(404));
        assertThatThrownBy(() -> agent(2).exec("vm1", new ExecRequest(List.of("true"), null, 0)))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(501);
                    assertThat(e.getMessage()).contains("not simulated: exec");
                });
        assertThatThrownBy(() -> agent(2).buildImage("ubuntu"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage()).startsWith("recipe:"));
    }

    @Test
    void actualUseFollowsTheVmsAndStandbyIsRefusedWhileOneRuns() {
        var fingerprint = agent(1).buildImage("tiny").fingerprint();
        agent(1).create(VmSpec.fromImage("vm1", fingerprint, 1, 2 * Sizes.GIB, 10 * Sizes.GIB));
        var report = agent(1).report();
        assertThat(report.memoryAvailableBytes()).isEqualTo(30 * Sizes.GIB);
        assertThat(report.diskFreeBytes()).isEqualTo(report.diskBytes() - 10 * Sizes.GIB);
        assertThatThrownBy(() -> agent(1).standby(true))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(409));

        agent(1).stop("vm1", new StopSpec(true, 0));
        assertThat(agent(1).standby(true).standby()).isTrue();
        assertThatThrownBy(() -> agent(1).start("vm1"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage()).contains("standby"));
        assertThat(agent(1).standby(false).standby()).isFalse();
        assertThat(agent(1).start("vm1").power()).isEqualTo(VmPower.RUNNING);
    }

    @Test
    void labelsGivenToTheSimulationAreEveryHostsLabels() {
        try (var labelled = SimulatedHosts.start(new SimulatedHosts.Config("lab", 2, 4, 8 * Sizes.GIB,
                java.util.Map.of("rack", "a"), "127.0.0.1", 0))) {
            for (var m : labelled.members()) {
                assertThat(new AgentClient(m.url(), m.agentToken()).report().labels()).containsExactly(
                        java.util.Map.entry("rack", "a"));
            }
        }
    }

    @Test
    void eachHostOnlyAnswersItsOwnToken() {
        var m = members.get(0);
        var wrong = new AgentClient(m.url(), members.get(1).agentToken());
        assertThatThrownBy(wrong::report)
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(401));
        var unknown = new AgentClient(URI.create(m.url().toString().replace("sim-00001", "sim-09999")), m.agentToken());
        assertThatThrownBy(unknown::report)
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(404));
    }
}
