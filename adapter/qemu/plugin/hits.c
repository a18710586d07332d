/*
 * qemu-replay's hit counter: a TCG plugin for a QEMU replaying a recording in the background (hitsByPlugin.ts).
 *
 * It writes one line "ICOUNT PC" (decimal, hex) each time an instruction at one of the given addresses is about to
 * run, and "end ICOUNT" when QEMU exits. ICOUNT counts the guest instructions executed before it, as QEMU's own
 * instruction counter (icount) does: every instruction adds one as it starts, inline (no call), except those at the
 * given addresses, whose callback writes the line and then adds one. QEMU re-runs an instruction that does I/O in a
 * translation block of its own that plugins only see the memory accesses of, so that one is counted once, as icount
 * does. Where the two could still differ (an instruction that faults and runs again after the handler), the adapter
 * compares "end" with QEMU's icount when it stops, and uses gdb instead when they differ.
 *
 * Arguments: out=FILE (required), pc=ADDRESS (repeated; hex with 0x, or decimal).
 *
 * The plugin API is QEMU's stable C interface (docs.qemu.org, "QEMU TCG Plugins"); Debian ships no header for it,
 * so the few declarations used are written here. Its versions differ in one thing used here: inline counters take a
 * plain pointer up to API version 1 (QEMU <= 8.1) and a per-vCPU "scoreboard" entry from version 2; both are looked
 * up at load time. qemu_plugin_version is set by the build (QR_PLUGIN_API): QEMU 7.2 accepts 1, QEMU 10.0 2 to 4.
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef QR_PLUGIN_API
#error "build with -DQR_PLUGIN_API=<QEMU plugin API version>"
#endif
#define EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
struct qemu_plugin_scoreboard;
/* API >= 2: a counter in a scoreboard (one per vCPU), passed by value. */
typedef struct { struct qemu_plugin_scoreboard *score; size_t offset; } qr_u64;
enum { QR_CB_NO_REGS = 0 };
enum { QR_INLINE_ADD_U64 = 0 };

extern void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
extern size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
extern struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
extern uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
extern void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, void (*cb)(unsigned int, void *), int flags, void *userdata);
extern void qemu_plugin_register_vcpu_init_cb(qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t, unsigned int));
extern void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t, void *), void *userdata);

EXPORT int qemu_plugin_version = QR_PLUGIN_API;

#define MAX_PCS 256
static uint64_t pcs[MAX_PCS];
static int n_pcs;
static FILE *out;

/* API 1: a plain counter. */
static uint64_t counter;
static void (*inline_ptr)(struct qemu_plugin_insn *, int, void *, uint64_t);
/* API >= 2: a scoreboard entry (one vCPU: the recordings are single-core). */
static qr_u64 entry;
static void (*inline_entry)(struct qemu_plugin_insn *, int, qr_u64, uint64_t);
static void *(*scoreboard_find)(struct qemu_plugin_scoreboard *, unsigned int);
/*
 * The counter itself: `counter`, or the vCPU's element of the scoreboard, found when the vCPU starts (QEMU asserts
 * on a lookup once the vCPUs are gone, as they are when the exit callback runs).
 */
static uint64_t *count = &counter;

static void on_hit(unsigned int vcpu, void *pc)
{
    (void)vcpu;
    fprintf(out, "%" PRIu64 " %" PRIx64 "\n", *count, (uint64_t)(uintptr_t)pc);
    (*count)++;
}

static void on_vcpu_init(qemu_plugin_id_t id, unsigned int vcpu)
{
    (void)id;
    if (!inline_ptr && vcpu == 0) {
        count = scoreboard_find(entry.score, vcpu);
    }
}

static bool wanted(uint64_t pc)
{
    for (int i = 0; i < n_pcs; i++) {
        if (pcs[i] == pc) {
            return true;
        }
    }
    return false;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        if (wanted(pc)) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_hit, QR_CB_NO_REGS, (void *)(uintptr_t)pc);
        } else if (inline_ptr) {
            inline_ptr(insn, QR_INLINE_ADD_U64, &counter, 1);
        } else {
            inline_entry(insn, QR_INLINE_ADD_U64, entry, 1);
        }
    }
}

static void on_qemu_exit(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    fprintf(out, "end %" PRIu64 "\n", *count);
    fclose(out);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const void *info, int argc, char **argv)
{
    (void)info;
    const char *path = NULL;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0) {
            path = argv[i] + 4;
        } else if (strncmp(argv[i], "pc=", 3) == 0 && n_pcs < MAX_PCS) {
            pcs[n_pcs++] = strtoull(argv[i] + 3, NULL, 0);
        } else {
            fprintf(stderr, "qemu-replay hits plugin: unknown argument %s\n", argv[i]);
            return -1;
        }
    }
    if (!path || n_pcs == 0) {
        fprintf(stderr, "qemu-replay hits plugin: needs out=FILE and at least one pc=ADDRESS\n");
        return -1;
    }
    inline_ptr = (void (*)(struct qemu_plugin_insn *, int, void *, uint64_t))dlsym(RTLD_DEFAULT, "qemu_plugin_register_vcpu_insn_exec_inline");
    if (!inline_ptr) {
        struct qemu_plugin_scoreboard *(*scoreboard_new)(size_t) =
            (struct qemu_plugin_scoreboard *(*)(size_t))dlsym(RTLD_DEFAULT, "qemu_plugin_scoreboard_new");
        inline_entry = (void (*)(struct qemu_plugin_insn *, int, qr_u64, uint64_t))dlsym(RTLD_DEFAULT, "qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu");
        scoreboard_find = (void *(*)(struct qemu_plugin_scoreboard *, unsigned int))dlsym(RTLD_DEFAULT, "qemu_plugin_scoreboard_find");
        if (!scoreboard_new || !inline_entry || !scoreboard_find) {
            fprintf(stderr, "qemu-replay hits plugin: this QEMU has no inline instruction counters\n");
            return -1;
        }
        entry.score = scoreboard_new(sizeof(uint64_t));
        entry.offset = 0;
    }
    out = fopen(path, "w");
    if (!out) {
        perror(path);
        return -1;
    }
    setvbuf(out, NULL, _IOLBF, 0); /* a line per hit: the adapter streams them as they come */
    qemu_plugin_register_vcpu_init_cb(id, on_vcpu_init);
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
    return 0;
}
