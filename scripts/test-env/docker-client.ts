/** The Docker Engine API calls the components share (dockerode; the docker CLI is never run). */
import { spawn } from 'node:child_process';
import Docker from 'dockerode';
import type { Context } from './component.ts';
import { indent, TestEnvError } from './log.ts';

export function dockerClient(socketPath: string): Docker {
  return new Docker({ socketPath });
}

export async function dockerPing(docker: Docker): Promise<boolean> {
  try {
    const answer = await docker.ping();
    return String(answer) === 'OK';
  } catch {
    return false;
  }
}

function statusCode(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error
    ? Number((error as { statusCode: unknown }).statusCode)
    : undefined;
}

export async function imageInspect(
  docker: Docker,
  image: string,
): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(image).inspect();
  } catch (error) {
    if (statusCode(error) === 404) return undefined;
    throw error;
  }
}

/** The source hash an image was built from ('' when the image is missing). */
export async function imageLabel(docker: Docker, image: string, label: string): Promise<string> {
  return (await imageInspect(docker, image))?.Config?.Labels?.[label] ?? '';
}

export async function imageId(docker: Docker, image: string): Promise<string> {
  return (await imageInspect(docker, image))?.Id ?? '';
}

export async function containerInspect(
  docker: Docker,
  name: string,
): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(name).inspect();
  } catch (error) {
    if (statusCode(error) === 404) return undefined;
    throw error;
  }
}

export async function removeContainer(docker: Docker, name: string): Promise<void> {
  try {
    await docker.getContainer(name).remove({ force: true, v: true });
  } catch (error) {
    if (statusCode(error) !== 404) throw error;
  }
}

export async function removeImage(docker: Docker, image: string): Promise<void> {
  try {
    await docker.getImage(image).remove({ force: true });
  } catch (error) {
    if (statusCode(error) !== 404) throw error;
  }
}

/** Reads a progress stream (pull, push, import, build) to its end; throws on an error event. */
export async function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  what: string,
): Promise<void> {
  const events = await new Promise<{ error?: string; errorDetail?: { message?: string }; stream?: string }[]>(
    (resolve, reject) =>
      docker.modem.followProgress(stream, (error, output) => (error ? reject(error) : resolve(output))),
  );
  const failed = events.find((event) => event.error !== undefined || event.errorDetail !== undefined);
  if (failed !== undefined) {
    const log = events.map((event) => event.stream ?? '').join('');
    throw new TestEnvError(
      `${what} failed: ${failed.errorDetail?.message ?? failed.error}\n${indent(log.slice(-2000))}`,
    );
  }
}

/** Splits `repo[:tag]` (the registry port is not a tag). */
export function splitReference(reference: string): { repo: string; tag: string } {
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  return colon > slash
    ? { repo: reference.slice(0, colon), tag: reference.slice(colon + 1) }
    : { repo: reference, tag: 'latest' };
}

/**
 * `docker import` of a directory as an image's root filesystem. GNU tar packs it (numeric owners,
 * device nodes, hard links and setuid bits as debootstrap made them); the engine API imports it.
 */
export async function importRootfs(
  docker: Docker,
  root: string,
  reference: string,
  changes: readonly string[],
): Promise<void> {
  const tar = spawn('tar', ['--numeric-owner', '-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let tarErrors = '';
  tar.stderr.on('data', (chunk: Buffer) => {
    tarErrors += chunk.toString('utf8');
  });
  const tarExit = new Promise<number>((resolve) => tar.on('close', (code) => resolve(code ?? 1)));
  const { repo, tag } = splitReference(reference);
  const stream = await docker.importImage(tar.stdout, { repo, tag, changes: [...changes] } as object);
  await followProgress(docker, stream, `docker import ${reference}`);
  const code = await tarExit;
  if (code !== 0) throw new TestEnvError(`tar of ${root} failed (exit ${code})\n${indent(tarErrors)}`);
}

/** Splits a non-TTY attach/logs stream into stdout and stderr (8-byte frame headers). */
export function demultiplex(buffer: Buffer): { stdout: string; stderr: string } {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const kind = buffer[offset];
    const size = buffer.readUInt32BE(offset + 4);
    const payload = buffer.subarray(offset + 8, offset + 8 + size);
    (kind === 2 ? stderr : stdout).push(payload);
    offset += 8 + size;
  }
  return { stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
}

export interface ContainerResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `docker run --rm IMAGE CMD…`: runs to the end and returns its exit code and output. */
export async function runToEnd(
  docker: Docker,
  image: string,
  cmd: readonly string[],
  options: { readonly user?: string; readonly env?: readonly string[] } = {},
): Promise<ContainerResult> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: [...cmd],
    User: options.user,
    Env: options.env ? [...options.env] : undefined,
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return { exitCode: StatusCode, ...demultiplex(logs) };
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

/** The last lines a container printed (for failure messages). */
export async function containerLogTail(docker: Docker, name: string, lines = 20): Promise<string> {
  try {
    const logs = (await docker
      .getContainer(name)
      .logs({ stdout: true, stderr: true, tail: lines })) as unknown as Buffer;
    const { stdout, stderr } = demultiplex(logs);
    return indent(stdout + stderr);
  } catch {
    return '';
  }
}

/** `docker exec NAME CMD…`. */
export async function execIn(docker: Docker, name: string, cmd: readonly string[]): Promise<ContainerResult> {
  const exec = await docker
    .getContainer(name)
    .exec({ Cmd: [...cmd], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  const { ExitCode } = await exec.inspect();
  return { exitCode: ExitCode ?? 1, ...demultiplex(Buffer.concat(chunks)) };
}

/** Images replaced by a rebuild stay behind untagged; drop only ours. */
export async function pruneReplacedImages(docker: Docker, hashLabel: string): Promise<void> {
  await docker
    .pruneImages({ filters: JSON.stringify({ dangling: ['true'], label: [hashLabel] }) } as object)
    .catch(() => {});
}

/** Throws the usual hint when a component that builds images runs without the engine. */
export async function requireDocker(context: Context, section: string): Promise<void> {
  if (!(await dockerPing(context.docker))) {
    throw new TestEnvError(
      `the docker engine does not answer on ${context.config.docker.socketPath}: run without --only, or with --only docker,${section}`,
    );
  }
}

/** True when every image exists. */
export async function imagesExist(context: Context, images: readonly string[]): Promise<boolean> {
  if (!(await dockerPing(context.docker))) return false;
  for (const image of images) if ((await imageInspect(context.docker, image)) === undefined) return false;
  return true;
}
