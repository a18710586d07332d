/* Per-architecture pieces of the sample guest: UART (no set-up needed on QEMU's boards) and power-off (start-*.S). */
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
#elif defined(__x86_64__)
/* COM1, a 16550 at I/O port 0x3f8: THR at +0, LSR at +5 with THR-empty in bit 5. */
#define UART_PORT 0x3f8
/* Macros, not functions: at -O0 an inline function would be one more frame to step through. */
#define INB(port) ({ unsigned char v_; __asm__ volatile("inb %w1, %0" : "=a"(v_) : "Nd"((unsigned short)(port))); v_; })
#define OUTB(port, v) __asm__ volatile("outb %0, %w1" : : "a"((unsigned char)(v)), "Nd"((unsigned short)(port)))
#define UART_TX_FULL() (!(INB(UART_PORT + 5) & (1u << 5)))
#define UART_TX(c) OUTB(UART_PORT, (c))
#else
#error "unsupported architecture"
#endif

#endif
