// What the phone keeps (IndexedDB through idb): the mines entered, their photos, the files being sent, the form being
// filled. It survives reloads, a closed browser and a restarted phone; an entry leaves only once the server has
// acknowledged it (its survey's report read), a photo once the server has stored it.
import { openDB } from 'idb';

const db = openDB('mineingest-field', 1, {
  upgrade(store) {
    store.createObjectStore('entries', { keyPath: 'id' });
    store.createObjectStore('photos', { keyPath: 'id' }).createIndex('entry', 'entry');
    store.createObjectStore('batches', { keyPath: 'id' });
    store.createObjectStore('meta');
  },
});

export const newId = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`);

export async function entries() {
  return (await (await db).getAll('entries')).sort((a, b) => a.createdAt - b.createdAt);
}

export async function putEntry(entry) { await (await db).put('entries', entry); }

/** Removes an entry that was never sent, with its photos. */
export async function removeEntry(id) {
  const tx = (await db).transaction(['entries', 'photos'], 'readwrite');
  for (const key of await tx.objectStore('photos').index('entry').getAllKeys(id)) tx.objectStore('photos').delete(key);
  tx.objectStore('entries').delete(id);
  await tx.done;
}

export async function photosOf(entryId) {
  return (await (await db).getAllFromIndex('photos', 'entry', entryId)).sort((a, b) => a.number - b.number);
}

/** Every photo on the phone, by the entry it belongs to, in number order: one read for a list of entries. */
export async function photosByEntry() {
  const byEntry = new Map();
  for (const photo of (await (await db).getAll('photos')).sort((a, b) => a.number - b.number)) byEntry.set(photo.entry, [...(byEntry.get(photo.entry) ?? []), photo]);
  return byEntry;
}

export async function putPhoto(photo) { await (await db).put('photos', photo); }
export async function removePhoto(id) { await (await db).delete('photos', id); }

export async function batches() { return (await db).getAll('batches'); }
export async function putBatch(batch) { await (await db).put('batches', batch); }

/**
 * A file and its entries in one transaction, so a reload never finds one without the other: a new file with its
 * entries marked as in it, or a reported one with each entry's outcome.
 */
export async function saveBatch(batch, members) {
  const tx = (await db).transaction(['entries', 'batches'], 'readwrite');
  tx.objectStore('batches').put(batch);
  for (const entry of members) tx.objectStore('entries').put(entry);
  await tx.done;
}

export async function meta(key) { return (await db).get('meta', key); }
export async function setMeta(key, value) { await (await db).put('meta', value, key); }
