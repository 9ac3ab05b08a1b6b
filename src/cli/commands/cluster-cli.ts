import { type Command, InvalidArgumentError } from 'commander';
import { clusterCheckCommand, clusterDownCommand, clusterInitCommand, clusterStatusCommand, clusterUpCommand } from './cluster-command.js';

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

/** `ruyi cluster init|up|down|status|check`: an index directory whose shards live on SphinxQL nodes (README "Past one machine"). */
export function registerClusterCommands(program: Command): void {
  const cluster = program
    .command('cluster')
    .description('run ruyi on a Sphinx/Manticore (SphinxQL) cluster; see README "Past one machine"');
  cluster
    .command('init')
    .description('write DIR/cluster.json and one searchd config per node; then `ruyi index/search/remove --db DIR` use the cluster')
    .argument('<dir>', 'the cluster directory')
    .option('--nodes <n>', 'local nodes (searchd on this machine)', integer(1, 64), 1)
    .option('--shards <n>', 'shards (one RT index each)', integer(1, 256), 4)
    .option('--replicas <n>', 'copies of each shard, on distinct nodes', integer(1, 64), 1)
    .option('--host <host>', 'address of local nodes', '127.0.0.1')
    .option('--base-port <port>', 'node i listens on port+i (default: free ports)', integer(1, 65535))
    .option('--hosts <list>', 'real machines instead of local nodes: h1:port,h2:port,...')
    .option('--pinyin', 'index pinyin too (fixed for the cluster)')
    .option('--traditional', 'fold traditional Chinese (fixed for the cluster)')
    .option('--json', 'print cluster.json')
    .action(async (dir: string, o) => {
      process.exitCode = await clusterInitCommand(dir, o);
    });
  cluster
    .command('up')
    .description("start the local nodes' searchd and wait until each accepts connections")
    .argument('<dir>', 'the cluster directory')
    .option('--searchd <path>', 'the searchd binary (default: searchd from PATH)')
    .option('--node <name...>', 'only these nodes (n0, or host:port)')
    .option('--json', 'print the nodes as JSON')
    .action(async (dir: string, o) => {
      process.exitCode = await clusterUpCommand(dir, o);
    });
  cluster
    .command('down')
    .description('stop the local nodes (SIGTERM; searchd saves its indexes) and wait for them to exit')
    .argument('<dir>', 'the cluster directory')
    .option('--node <name...>', 'only these nodes (n0, or host:port)')
    .option('--json', 'print the nodes as JSON')
    .action(async (dir: string, o) => {
      process.exitCode = await clusterDownCommand(dir, o);
    });
  cluster
    .command('status')
    .description('each node: address, pid (local ones), up or down; exit 3 if one is down')
    .argument('<dir>', 'the cluster directory')
    .option('--json', 'print { nodes: [{ name, address, local, pid, up, error? }] }')
    .action(async (dir: string, o) => {
      process.exitCode = await clusterStatusCommand(dir, o);
    });
  cluster
    .command('check')
    .description(
      "compare every shard's replicas (count, digest of ids and versions); exit 3 naming shard and node on a difference or an unreachable node",
    )
    .argument('<dir>', 'the cluster directory')
    .option('--repair', 'make the replicas equal, from the fullest one of each shard, then check again')
    .option('--json', 'print { ok, shards: [{ shard, replicas: [{ node, docs, digest }], consistent }], problems }')
    .action(async (dir: string, o) => {
      process.exitCode = await clusterCheckCommand(dir, o);
    });
}
