/**
 * Peer child process: DuckDB (@duckdb/node-api, one thread) computes the profile of bench/profile-sql.ts on a
 * Parquet file. Usage: node --import tsx bench/duckdb-child.ts FILE PLAN.json
 * Prints one JSON line: { seconds, cpuSeconds, digest, maxRssMB } (wall and CPU time of the query; CPU covers all threads). Only the query is timed (not the instance start).
 */
import { readFile } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { digestOfPeerRow, profileSql, SOURCE_PLACEHOLDER, type ProfilePlan } from './profile-sql.js';

const [file, planPath] = process.argv.slice(2);
const plan = JSON.parse(await readFile(planPath, 'utf8')) as ProfilePlan;
const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
const connection = await instance.connect();
await connection.run('SET threads = 1');
const sql = profileSql(plan).replace(SOURCE_PLACEHOLDER, `read_parquet('${file.replace(/'/g, "''")}')`);

const start = performance.now();
const cpuStart = process.cpuUsage();
const reader = await connection.runAndReadAll(sql);
const row = reader.getRowObjectsJson()[0];
const cpu = process.cpuUsage(cpuStart);
const seconds = (performance.now() - start) / 1000;
const cpuSeconds = (cpu.user + cpu.system) / 1e6;

connection.closeSync();
instance.closeSync();
process.stdout.write(
  `${JSON.stringify({ seconds, cpuSeconds, digest: digestOfPeerRow(plan, row), maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`,
);
