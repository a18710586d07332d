/* Per-architecture pieces of the sample guest: UART (no set-up needed on QEMU's virt boards) and power-off. */
#ifndef ARCH_H
#define ARCH_H

#if defined(__aarch64__)
/* PL011 at 0x09000000: data register, flag register +0x18 with TX-full in bit 5. */
#define UART_BASE 0x09000000UL
#define UART_TX_FULL() ((*(volatile unsigned int *)(UART_BASE + 0x18)) & (1u << 5))
#define UART_TX(c) (*(volatile unsigned int *)UART_BASE = (unsigned int)(c))
#elif defined(__riscv)
/* NS16550 at 0x10000000: THR at +0, LSR at +5 with THR-empty in bit 5. */
#define UART_BASE 0x10000000UL
#define UART_TX_FULL() (!((*(volatile unsigned char *)(UART_BASE + 5)) & (1u << 5)))
#define UART_TX(c) (*(volatile unsigned char *)UART_BASE = (unsigned char)(c))
#else
#error "unsupported architecture"
#endif

#endif
