class Store:
    def __init__(self):
        self.notes = {}

    def add(self, text):
        note = {"id": len(self.notes) + 1, "text": text}
        self.notes[note["id"]] = note
        return note

    def get(self, note_id):
        return self.notes.get(note_id)
