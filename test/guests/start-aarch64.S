/* Entry at EL1 with no firmware: set the stack, call main, power off through PSCI SYSTEM_OFF (hvc). */
    .section .text.start
    .global _start
_start:
    ldr x0, =__stack_top
    mov sp, x0
    bl main
    ldr x0, =0x84000008
    hvc #0
1:  wfi
    b 1b
