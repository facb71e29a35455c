/*
 * cli.h — the subcommands of the artistry binary.
 *
 * Each returns the process exit status: 0 success, 1 failure at run time,
 * 2 bad usage (unknown option, bad value).
 */
#ifndef ARTISTRY_CLI_CLI_H
#define ARTISTRY_CLI_CLI_H

int cli_serve(int argc, char **argv);
int cli_worker(int argc, char **argv);
int cli_migrate(int argc, char **argv);
int cli_seed(int argc, char **argv);
int cli_eval_recs(int argc, char **argv);


#endif
