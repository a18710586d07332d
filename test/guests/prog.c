/* Sample bare-metal guest for qemu-replay: a few functions, globals, a struct, an array, a loop and UART output.
 * The same source runs on aarch64 and riscv64 `virt`; arch.h supplies the UART and power-off for each.
 * Tests find lines by their `TAG:` comments, never by number. */
#include "arch.h"

#ifndef ROUNDS
#define ROUNDS 40 /* 0: run forever (benchmarks stop the recording by instruction count) */
#endif
#ifndef PRINT_EVERY
#define PRINT_EVERY 8 /* rounds between two lines of output; every UART byte is an event in the replay log */
#endif

struct point {
    int x;
    int y;
};

volatile unsigned int counter;          /* incremented once per round */
unsigned int checksum = 0x1234;         /* mixed from every round's work */
struct point origin = { 3, 4 };
int squares[64];
const char banner[] = "qemu-replay sample guest";

static void uart_putc(char c)
{
    while (UART_TX_FULL())
        ;
    UART_TX(c);
}

static void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

static void uart_puthex(unsigned int v)
{
    static const char digits[] = "0123456789abcdef";
    for (int shift = 28; shift >= 0; shift -= 4)
        uart_putc(digits[(v >> shift) & 0xf]);
}

unsigned int fib(unsigned int n)
{
    unsigned int a = 0, b = 1;          /* TAG: fib-entry */
    for (unsigned int i = 0; i < n; i++) {
        unsigned int t = a + b;         /* TAG: fib-loop */
        a = b;
        b = t;
    }
    return a;                           /* TAG: fib-return */
}

unsigned int mix(unsigned int acc, unsigned int value)
{
    acc ^= value;                       /* TAG: mix-xor */
    acc = (acc << 5) | (acc >> 27);
    return acc + 0x9e3779b9u;           /* TAG: mix-return */
}

void fill_squares(int n)
{
    for (int i = 0; i < n && i < 64; i++)
        squares[i] = i * i;             /* TAG: square-store */
}

static void work(unsigned int round)
{
    unsigned int f = fib(round % 24);   /* TAG: work-fib */
    checksum = mix(checksum, f);        /* TAG: checksum-write */
    origin.x += (int)(f & 7);
    origin.y -= 1;
    counter++;                          /* TAG: counter-increment */
}

int main(void)
{
    uart_puts(banner);                  /* TAG: main-banner */
    uart_puts("\n");
    fill_squares(64);                   /* TAG: main-fill */
    for (unsigned int round = 0; ROUNDS == 0 || round < ROUNDS; round++) {
        work(round);                    /* TAG: main-work */
        if (round % PRINT_EVERY == 0) {
            uart_puts("round ");
            uart_puthex(round);
            uart_puts(" checksum ");
            uart_puthex(checksum);      /* TAG: main-print */
            uart_puts("\n");
        }
    }
    uart_puts("done\n");                /* TAG: main-done */
    return 0;
}
