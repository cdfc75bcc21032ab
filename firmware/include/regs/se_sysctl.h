/* SPDX-License-Identifier: MIT */
/* firmware/include/regs/se_sysctl.h - SE system control: chip id, reset
 * cause, and the port-source status pin (docs/se.md). Offsets from
 * SE_SYSCTL_BASE; 32-bit registers, word access only. */
#ifndef FIRMWARE_INCLUDE_REGS_SE_SYSCTL_H
#define FIRMWARE_INCLUDE_REGS_SE_SYSCTL_H

#define SYSCTL_CHIPID       0x00u   /* RO: 0x5E000000 | SE index */
#define SYSCTL_RESETCAUSE   0x04u   /* RW1C: why the core last reset */
#define SYSCTL_PORTSRC      0x08u   /* RO: who drives the ISO 7816 port */
#define SYSCTL_SERIAL_LO    0x0Cu   /* RO: 64-bit chip serial, low word */
#define SYSCTL_SERIAL_HI    0x10u   /* RO: high word */

#define SYSCTL_CHIPID_MAGIC         0x5E000000u
#define SYSCTL_CHIPID_INDEX_MASK    0x000000FFu

#define SYSCTL_RESETCAUSE_POR       (1u << 0)  /* VCC came up */
#define SYSCTL_RESETCAUSE_RSTPIN    (1u << 1)  /* RST low then high (warm) */
#define SYSCTL_RESETCAUSE_SYSRESET  (1u << 2)  /* AIRCR.SYSRESETREQ */

#define SYSCTL_PORTSRC_MCU          0u  /* contactless mode */
#define SYSCTL_PORTSRC_PADS         1u  /* contact mode */

#endif /* FIRMWARE_INCLUDE_REGS_SE_SYSCTL_H */
