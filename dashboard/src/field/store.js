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

export async function putPhoto(photo) { await (await db).put('photos', photo); }
export async function removePhoto(id) { await (await db).delete('photos', id); }

export async function batches() { return (await db).getAll('batches'); }
export async function putBatch(batch) { await (await db).put('batches', batch); }

/** A new file of entries, and the entries marked as in it, in one transaction: a reload never finds one without the other. */
export async function startBatch(batch, members) {
  const tx = (await db).transaction(['entries', 'batches'], 'readwrite');
  tx.objectStore('batches').put(batch);
  for (const entry of members) tx.objectStore('entries').put(entry);
  await tx.done;
}

/** The file's report, and each entry's outcome from it, in one transaction. */
export async function finishBatch(batch, members) { await startBatch(batch, members); }

export async function meta(key) { return (await db).get('meta', key); }
export async function setMeta(key, value) { await (await db).put('meta', value, key); }
