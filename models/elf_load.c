/* SPDX-License-Identifier: MIT */
/* models/elf_load.c - loads ARM 32-bit little-endian ELF executables with
 * libelf: PT_LOAD segments, entry point, FUNC/OBJECT symbols.
 *
 * Reference: System V ABI "ELF" (gABI) chapters 4-5; "ELF for the Arm
 * Architecture" (IHI 0044), 5.5 (the Thumb bit of function symbols).
 * Notes:
 *  - libelf (elfutils) quietly shrinks the program and section header counts
 *    of a truncated file to what fits, so the header tables and every
 *    segment are checked against the file size here, for a message that says
 *    what is missing instead of an image that silently lacks it.
 *  - Only executables (ET_EXEC) are accepted; relocation is not done.
 *  - Symbols other than STT_FUNC and STT_OBJECT (sections, files, $t/$d
 *    mapping symbols, linker-script NOTYPE symbols) are dropped. */
#include "models/elf_load.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest segment accepted: far above any chip's memory, low enough that a
 * corrupt p_memsz cannot ask for gigabytes. */
#define ELF_LOAD_MAX_SEGMENT (256u << 20)

/* Everything one load needs, so error paths can release it in one place. */
typedef struct {
    const char *path;
    char *err;
    size_t errlen;
    int fd;
    Elf *elf;
    uint64_t file_size;
    /* symbols gathered before sorting; names still point into libelf */
    elf_symbol_t *syms;
    size_t nsyms, cap;
} loader_t;

__attribute__((format(printf, 2, 3)))
static int fail(loader_t *ld, const char *fmt, ...)
{
    if (ld->errlen == 0)
        return -1;
    int n = snprintf(ld->err, ld->errlen, "%s: ", ld->path);
    if (n < 0 || (size_t)n >= ld->errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* The first bytes tell "not ELF at all" from "ELF cut short", which libelf
 * reports alike (ELF_K_NONE). */
static int classify_non_elf(loader_t *ld)
{
    unsigned char magic[SELFMAG];
    ssize_t got = pread(ld->fd, magic, sizeof magic, 0);
    if (got == (ssize_t)sizeof magic && memcmp(magic, ELFMAG, SELFMAG) == 0)
        return fail(ld, "truncated ELF header (file is %" PRIu64 " bytes)",
                    ld->file_size);
    return fail(ld, "not an ELF file");
}

static int check_header(loader_t *ld, GElf_Ehdr *eh)
{
    size_t idlen = 0;
    const char *ident = elf_getident(ld->elf, &idlen);
    if (!ident || idlen < EI_NIDENT)
        return fail(ld, "truncated ELF header");
    if (ident[EI_CLASS] != ELFCLASS32 || ident[EI_DATA] != ELFDATA2LSB)
        return fail(ld, "not 32-bit little-endian (EI_CLASS %u, EI_DATA %u)",
                    (unsigned char)ident[EI_CLASS],
                    (unsigned char)ident[EI_DATA]);
    if (!gelf_getehdr(ld->elf, eh))
        return fail(ld, "bad ELF header: %s", elf_errmsg(-1));
    if (eh->e_machine != EM_ARM)
        return fail(ld, "not ARM (e_machine %u)", (unsigned)eh->e_machine);
    if (eh->e_type != ET_EXEC)
        return fail(ld, "not an executable (e_type %u)", (unsigned)eh->e_type);

    if (eh->e_phnum == 0)
        return fail(ld, "no program headers");
    if (eh->e_phnum == PN_XNUM)
        return fail(ld, "too many program headers");
    if (eh->e_phentsize != sizeof(Elf32_Phdr))
        return fail(ld, "bad e_phentsize %u", (unsigned)eh->e_phentsize);
    uint64_t ph_end = eh->e_phoff + (uint64_t)eh->e_phnum * eh->e_phentsize;
    if (ph_end > ld->file_size)
        return fail(ld, "program headers at offset 0x%" PRIx64 " truncated "
                    "(need 0x%" PRIx64 " bytes, file has 0x%" PRIx64 ")",
                    (uint64_t)eh->e_phoff, ph_end, ld->file_size);

    /* e_shnum == 0 with e_shoff set means more than SHN_LORESERVE sections
     * (count in section 0); at least that first header must be there. */
    if (eh->e_shoff != 0) {
        if (eh->e_shentsize != sizeof(Elf32_Shdr))
            return fail(ld, "bad e_shentsize %u", (unsigned)eh->e_shentsize);
        uint64_t n = eh->e_shnum ? eh->e_shnum : 1;
        uint64_t sh_end = eh->e_shoff + n * eh->e_shentsize;
        if (sh_end > ld->file_size)
            return fail(ld, "section headers at offset 0x%" PRIx64 " truncated "
                        "(need 0x%" PRIx64 " bytes, file has 0x%" PRIx64 ")",
                        (uint64_t)eh->e_shoff, sh_end, ld->file_size);
    }
    return 0;
}

static int load_segments(loader_t *ld, elf_image_t *img, const GElf_Ehdr *eh)
{
    size_t nload = 0;
    for (size_t i = 0; i < eh->e_phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(ld->elf, (int)i, &ph))
            return fail(ld, "program header %zu: %s", i, elf_errmsg(-1));
        if (ph.p_type == PT_LOAD && ph.p_memsz > 0)
            nload++;
    }
    if (nload == 0)
        return fail(ld, "no loadable segments");

    img->segs = calloc(nload, sizeof *img->segs);
    if (!img->segs)
        return fail(ld, "out of memory");

    for (size_t i = 0; i < eh->e_phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(ld->elf, (int)i, &ph))
            return fail(ld, "program header %zu: %s", i, elf_errmsg(-1));
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (ph.p_filesz > ph.p_memsz)
            return fail(ld, "segment %zu: p_filesz 0x%" PRIx64
                        " > p_memsz 0x%" PRIx64, i, (uint64_t)ph.p_filesz,
                        (uint64_t)ph.p_memsz);
        if (ph.p_memsz > ELF_LOAD_MAX_SEGMENT)
            return fail(ld, "segment %zu: p_memsz 0x%" PRIx64 " larger than "
                        "0x%x", i, (uint64_t)ph.p_memsz, ELF_LOAD_MAX_SEGMENT);
        if (ph.p_vaddr + ph.p_memsz > UINT64_C(1) << 32 ||
            ph.p_paddr + ph.p_memsz > UINT64_C(1) << 32)
            return fail(ld, "segment %zu at 0x%" PRIx64 " (size 0x%" PRIx64
                        ") wraps around 4 GiB", i, (uint64_t)ph.p_vaddr,
                        (uint64_t)ph.p_memsz);
        if (ph.p_filesz > 0 && ph.p_offset + ph.p_filesz > ld->file_size)
            return fail(ld, "segment %zu at offset 0x%" PRIx64 " truncated "
                        "(need 0x%" PRIx64 " bytes, file has 0x%" PRIx64 ")",
                        i, (uint64_t)ph.p_offset,
                        (uint64_t)(ph.p_offset + ph.p_filesz), ld->file_size);

        elf_segment_t *seg = &img->segs[img->nsegs];
        seg->paddr = (uint32_t)ph.p_paddr;
        seg->vaddr = (uint32_t)ph.p_vaddr;
        seg->filesz = (uint32_t)ph.p_filesz;
        seg->memsz = (uint32_t)ph.p_memsz;
        seg->flags = (uint32_t)ph.p_flags & (ELF_SEG_R | ELF_SEG_W | ELF_SEG_X);
        seg->offset = (uint32_t)ph.p_offset;
        seg->data = calloc(1, seg->memsz);     /* the zero fill comes free */
        if (!seg->data)
            return fail(ld, "segment %zu: out of memory (0x%" PRIx32 " bytes)",
                        i, seg->memsz);
        img->nsegs++;
        if (seg->filesz > 0) {
            Elf_Data *d = elf_getdata_rawchunk(ld->elf, (int64_t)ph.p_offset,
                                               seg->filesz, ELF_T_BYTE);
            if (!d || !d->d_buf || d->d_size != seg->filesz)
                return fail(ld, "segment %zu at offset 0x%" PRIx64 ": %s", i,
                            (uint64_t)ph.p_offset, elf_errmsg(-1));
            memcpy(seg->data, d->d_buf, seg->filesz);
        }
    }
    return 0;
}

static int bind_rank(unsigned char bind)
{
    switch (bind) {
    case STB_GLOBAL: return 0;
    case STB_WEAK: return 1;
    case STB_LOCAL: return 2;
    default: return 3;
    }
}

/* Which of two symbols to name a place after: FUNC before OBJECT, then
 * GLOBAL, WEAK, LOCAL (a real function before its weak aliases). */
static int preference_cmp(const elf_symbol_t *a, const elf_symbol_t *b)
{
    if (a->kind != b->kind)
        return a->kind == ELF_SYM_FUNC ? -1 : 1;
    int ra = bind_rank(a->bind), rb = bind_rank(b->bind);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    return 0;
}

static int symbol_cmp(const void *pa, const void *pb)
{
    const elf_symbol_t *a = pa, *b = pb;
    if (a->addr != b->addr)
        return a->addr < b->addr ? -1 : 1;
    int c = preference_cmp(a, b);
    if (c)
        return c;
    c = strcmp(a->name, b->name);
    if (c)
        return c;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    return 0;
}

static int add_symbol(loader_t *ld, const elf_symbol_t *s)
{
    if (ld->nsyms == ld->cap) {
        size_t cap = ld->cap ? 2 * ld->cap : 256;
        elf_symbol_t *p = realloc(ld->syms, cap * sizeof *p);
        if (!p)
            return fail(ld, "out of memory");
        ld->syms = p;
        ld->cap = cap;
    }
    ld->syms[ld->nsyms++] = *s;
    return 0;
}

static int read_symtab(loader_t *ld, Elf_Scn *scn, const GElf_Shdr *sh)
{
    if (sh->sh_entsize != sizeof(Elf32_Sym))
        return fail(ld, "symbol table: bad sh_entsize %" PRIu64,
                    (uint64_t)sh->sh_entsize);
    if (sh->sh_offset + sh->sh_size > ld->file_size)
        return fail(ld, "symbol table at offset 0x%" PRIx64 " truncated",
                    (uint64_t)sh->sh_offset);
    Elf_Data *data = elf_getdata(scn, NULL);
    if (!data)
        return fail(ld, "symbol table at offset 0x%" PRIx64 ": %s",
                    (uint64_t)sh->sh_offset, elf_errmsg(-1));

    size_t count = sh->sh_size / sh->sh_entsize;
    for (size_t i = 1; i < count; i++) {      /* entry 0 is the null symbol */
        GElf_Sym sym;
        if (!gelf_getsym(data, (int)i, &sym))
            return fail(ld, "symbol %zu: %s", i, elf_errmsg(-1));
        int type = GELF_ST_TYPE(sym.st_info);
        if ((type != STT_FUNC && type != STT_OBJECT) ||
            sym.st_shndx == SHN_UNDEF)
            continue;
        const char *name = elf_strptr(ld->elf, sh->sh_link, sym.st_name);
        if (!name)
            return fail(ld, "symbol %zu: name offset 0x%" PRIx32 ": %s", i,
                        (uint32_t)sym.st_name, elf_errmsg(-1));
        if (name[0] == '\0')
            continue;

        elf_symbol_t s = {
            .name = name,
            .addr = (uint32_t)sym.st_value,
            .size = (uint32_t)sym.st_size,
            .kind = type == STT_FUNC ? ELF_SYM_FUNC : ELF_SYM_OBJECT,
            .bind = (unsigned char)GELF_ST_BIND(sym.st_info),
        };
        /* Bit 0 of a function's address marks Thumb code (AAELF 5.5.3); the
         * instructions start at the even address. */
        if (s.kind == ELF_SYM_FUNC)
            s.addr &= ~UINT32_C(1);
        if (add_symbol(ld, &s))
            return -1;
    }
    return 0;
}

static const elf_segment_t *segment_at(const elf_image_t *img, uint32_t addr)
{
    for (size_t i = 0; i < img->nsegs; i++) {
        const elf_segment_t *s = &img->segs[i];
        if (addr >= s->vaddr && (uint64_t)addr < (uint64_t)s->vaddr + s->memsz)
            return s;
    }
    return NULL;
}

/* Copies the names out of libelf's memory, sorts, and works out each
 * symbol's effective end and the running maximum elf_symbolize() needs. */
static int finish_symbols(loader_t *ld, elf_image_t *img)
{
    size_t n = ld->nsyms;
    if (n == 0)
        return 0;

    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(ld->syms[i].name) + 1;
    img->names = malloc(total);
    img->max_end = malloc(n * sizeof *img->max_end);
    if (!img->names || !img->max_end)
        return fail(ld, "out of memory");
    char *p = img->names;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(ld->syms[i].name) + 1;
        memcpy(p, ld->syms[i].name, len);
        ld->syms[i].name = p;
        p += len;
    }

    qsort(ld->syms, n, sizeof *ld->syms, symbol_cmp);

    /* A size-0 symbol (an assembler label without .size) runs up to the next
     * higher symbol address, but not past the end of its segment. */
    uint64_t next = UINT64_MAX;   /* lowest address above the current one */
    for (size_t i = n; i-- > 0;) {
        elf_symbol_t *s = &ld->syms[i];
        if (i + 1 < n && ld->syms[i + 1].addr > s->addr)
            next = ld->syms[i + 1].addr;
        if (s->size > 0) {
            s->end = (uint64_t)s->addr + s->size;
            continue;
        }
        const elf_segment_t *seg = segment_at(img, s->addr);
        if (!seg) {
            s->end = (uint64_t)s->addr + 1;
            continue;
        }
        uint64_t seg_end = (uint64_t)seg->vaddr + seg->memsz;
        s->end = next < seg_end ? next : seg_end;
    }

    uint64_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (ld->syms[i].end > m)
            m = ld->syms[i].end;
        img->max_end[i] = m;
    }

    img->syms = ld->syms;
    img->nsyms = n;
    ld->syms = NULL;
    ld->nsyms = ld->cap = 0;
    return 0;
}

static int load_symbols(loader_t *ld, elf_image_t *img)
{
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(ld->elf, scn)) != NULL) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            return fail(ld, "section %zu: %s", elf_ndxscn(scn), elf_errmsg(-1));
        if (sh.sh_type == SHT_SYMTAB && read_symtab(ld, scn, &sh))
            return -1;
    }
    return finish_symbols(ld, img);
}

static int load(loader_t *ld, elf_image_t *img)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return fail(ld, "libelf: %s", elf_errmsg(-1));

    ld->fd = open(ld->path, O_RDONLY | O_CLOEXEC);
    if (ld->fd < 0)
        return fail(ld, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(ld->fd, &st) != 0)
        return fail(ld, "cannot stat: %s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fail(ld, "not a regular file");
    ld->file_size = (uint64_t)st.st_size;

    ld->elf = elf_begin(ld->fd, ELF_C_READ, NULL);
    if (!ld->elf)
        return fail(ld, "libelf: %s", elf_errmsg(-1));
    if (elf_kind(ld->elf) != ELF_K_ELF)
        return classify_non_elf(ld);

    GElf_Ehdr eh;
    if (check_header(ld, &eh))
        return -1;
    img->entry = (uint32_t)eh.e_entry;
    if (load_segments(ld, img, &eh))
        return -1;
    return load_symbols(ld, img);
}

int elf_load(elf_image_t *img, const char *path, char *err, size_t errlen)
{
    loader_t ld = { .path = path, .err = err, .errlen = errlen, .fd = -1 };

    memset(img, 0, sizeof *img);
    if (errlen > 0)
        err[0] = '\0';

    int rc = load(&ld, img);
    if (rc == 0) {
        img->path = strdup(path);
        if (!img->path)
            rc = fail(&ld, "out of memory");
    }

    free(ld.syms);
    if (ld.elf)
        elf_end(ld.elf);
    if (ld.fd >= 0)
        close(ld.fd);
    if (rc != 0)
        elf_free(img);
    return rc;
}

const elf_symbol_t *elf_find_symbol(const elf_image_t *img, const char *name)
{
    const elf_symbol_t *best = NULL;
    for (size_t i = 0; i < img->nsyms; i++) {
        const elf_symbol_t *s = &img->syms[i];
        if (strcmp(s->name, name) == 0 &&
            (!best || preference_cmp(s, best) < 0))
            best = s;
    }
    return best;
}

int elf_symbolize(const elf_image_t *img, uint32_t pc, char *buf, size_t len)
{
    /* Last symbol starting at or below pc. */
    size_t lo = 0, hi = img->nsyms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (img->syms[mid].addr <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }

    /* Walk down while an earlier symbol could still reach pc (max_end). The
     * innermost (highest-address) cover wins, FUNC over OBJECT; at equal
     * addresses the sort put the preferred symbol first, so a later hit in
     * this downward walk replaces an earlier one. */
    const elf_symbol_t *best = NULL;
    for (size_t i = lo; i-- > 0 && img->max_end[i] > pc;) {
        const elf_symbol_t *s = &img->syms[i];
        if (best && best->kind == ELF_SYM_FUNC && s->addr < best->addr)
            break;
        if (pc >= s->end)
            continue;
        if (!best || (s->kind == ELF_SYM_FUNC && best->kind != ELF_SYM_FUNC) ||
            (s->kind == best->kind && s->addr == best->addr))
            best = s;
    }

    if (len == 0)
        return best != NULL;
    if (!best) {
        snprintf(buf, len, "0x%08" PRIx32, pc);
        return 0;
    }
    snprintf(buf, len, "%s+0x%" PRIx32, best->name, pc - best->addr);
    return 1;
}

void elf_free(elf_image_t *img)
{
    for (size_t i = 0; i < img->nsegs; i++)
        free(img->segs[i].data);
    free(img->segs);
    free(img->syms);
    free(img->names);
    free(img->max_end);
    free(img->path);
    memset(img, 0, sizeof *img);
}
