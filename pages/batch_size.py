import streamlit as st

st.title('batch_size')
