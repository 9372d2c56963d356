/* cmds.h - the ewc command's subcommands: each an entry point and its help text */
/* SPDX-License-Identifier: MIT */
#ifndef EWC_CMDS_H
#define EWC_CMDS_H

int cmd_place(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_regions(int argc, char **argv);
int cmd_jobs(int argc, char **argv);
int cmd_rebalance(int argc, char **argv);
int cmd_frontier(int argc, char **argv);
int cmd_whatif(int argc, char **argv);

extern const char cmd_place_help[];
extern const char cmd_explain_help[];
extern const char cmd_regions_help[];
extern const char cmd_jobs_help[];
extern const char cmd_rebalance_help[];
extern const char cmd_frontier_help[];
extern const char cmd_whatif_help[];

#endif /* EWC_CMDS_H */
