from fastapi import FastAPI

from app.database import connect

app = FastAPI()
db = connect()
