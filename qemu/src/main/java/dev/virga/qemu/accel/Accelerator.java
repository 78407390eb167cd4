package dev.virga.qemu.accel;

/** A QEMU accelerator, as given to {@code -accel}. */
public enum Accelerator {
  KVM("kvm"),
  TCG("tcg");

  private final String arg;

  Accelerator(String arg) {
    this.arg = arg;
  }

  /** The value of QEMU's {@code -accel} option. */
  public String qemuArg() {
    return arg;
  }
}
