// @ts-check
// A minimal streaming zip writer for the benchmark corpus: deflated entries written as they come,
// the central directory at the end, with the Zip64 end records when there are more than 65,535
// entries (osv.dev's npm and Debian exports have more; fflate's writer cannot say so). Entry
// sizes and offsets must stay under 4 GiB, which a corpus of JSON records does.
import { closeSync, openSync, writeSync } from "node:fs";
import { crc32, deflateRawSync } from "node:zlib";

/** A zip being written to a file. */
export class ZipFileWriter {
  /** @type {number} */ #fd;
  /** @type {Buffer[]} */ #central = [];
  #offset = 0;
  #count = 0;
  /** @type {Buffer[]} */ #pending = [];
  #pendingBytes = 0;

  /** @param {string} path */
  constructor(path) {
    this.#fd = openSync(path, "w");
  }

  /** @param {Buffer} buf */
  #write(buf) {
    // Gathered into 1 MiB writes: three small writes per entry would cost more than the entries.
    this.#pending.push(buf);
    this.#pendingBytes += buf.length;
    this.#offset += buf.length;
    if (this.#pendingBytes >= 1024 * 1024) this.#flush();
  }

  #flush() {
    writeSync(this.#fd, Buffer.concat(this.#pending, this.#pendingBytes));
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  /**
   * Adds one deflated entry.
   * @param {string} name
   * @param {Buffer} data
   */
  add(name, data) {
    const nameBytes = Buffer.from(name, "utf8");
    // A small window and hash table: entries are small, and zlib's defaults spend most of a call
    // allocating them.
    // Empty entries are stored: a deflate call each would dominate zips of many of them.
    const method = data.length === 0 ? 0 : 8;
    const packed = method === 0 ? data : deflateRawSync(data, { level: 6, memLevel: 5, windowBits: 13 });
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8); // 0 stored, 8 deflate
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(45, 4); // made by
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(this.#offset, 42);
    this.#central.push(central, nameBytes);
    this.#write(local);
    this.#write(nameBytes);
    this.#write(packed);
    this.#count++;
  }

  /** Writes the central directory and the end records, and closes the file. */
  close() {
    const cdOffset = this.#offset;
    for (const b of this.#central) this.#write(b);
    const cdSize = this.#offset - cdOffset;
    const zip64 = this.#count > 0xffff;
    if (zip64) {
      const recordOffset = this.#offset;
      const rec = Buffer.alloc(56);
      rec.writeUInt32LE(0x06064b50, 0);
      rec.writeBigUInt64LE(44n, 4);
      rec.writeUInt16LE(45, 12);
      rec.writeUInt16LE(45, 14);
      rec.writeBigUInt64LE(BigInt(this.#count), 24);
      rec.writeBigUInt64LE(BigInt(this.#count), 32);
      rec.writeBigUInt64LE(BigInt(cdSize), 40);
      rec.writeBigUInt64LE(BigInt(cdOffset), 48);
      this.#write(rec);
      const loc = Buffer.alloc(20);
      loc.writeUInt32LE(0x07064b50, 0);
      loc.writeBigUInt64LE(BigInt(recordOffset), 8);
      loc.writeUInt32LE(1, 16);
      this.#write(loc);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(zip64 ? 0xffff : this.#count, 8);
    end.writeUInt16LE(zip64 ? 0xffff : this.#count, 10);
    end.writeUInt32LE(cdSize, 12);
    end.writeUInt32LE(cdOffset, 16);
    this.#write(end);
    this.#flush();
    closeSync(this.#fd);
  }
}
